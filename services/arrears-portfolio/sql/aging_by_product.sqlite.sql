-- Aging by currency and product as of an instant, from the v1 views.
-- $1 tenant, $2 as-of instant (text, as stored), $3 as-of date (the UTC date of $2).
WITH paid AS (
    SELECT tenant, debtor_id, account_id, item, SUM(amount_minor) AS paid_minor
    FROM portfolio_allocations_v1
    WHERE tenant = $1 AND recorded_at <= $2 AND (reversed_at IS NULL OR reversed_at > $2)
    GROUP BY tenant, debtor_id, account_id, item
),
items AS (
    SELECT i.debtor_id, i.account_id, i.due_date,
           i.amount_minor - COALESCE(p.paid_minor, 0) AS unpaid_minor
    FROM portfolio_items_v1 i
    LEFT JOIN paid p ON p.tenant = i.tenant AND p.debtor_id = i.debtor_id
                    AND p.account_id = i.account_id AND p.item = i.item
    WHERE i.tenant = $1 AND i.recorded_at <= $2
),
accounts AS (
    SELECT a.currency, a.product, SUM(o.unpaid_minor) AS balance_minor,
           MIN(CASE WHEN o.unpaid_minor > 0 THEN o.due_date END) AS oldest_due
    FROM portfolio_accounts_v1 a
    JOIN items o ON o.debtor_id = a.debtor_id AND o.account_id = a.account_id
    WHERE a.tenant = $1 AND a.opened_at <= $2
    GROUP BY a.debtor_id, a.account_id, a.currency, a.product
),
aged AS (
    SELECT currency, product, balance_minor, CAST(julianday($3) - julianday(oldest_due) AS INTEGER) AS dpd
    FROM accounts WHERE balance_minor > 0
)
SELECT currency, product,
       CASE WHEN dpd <= 0 THEN 'current' WHEN dpd <= 30 THEN '1_30' WHEN dpd <= 60 THEN '31_60'
            WHEN dpd <= 90 THEN '61_90' WHEN dpd <= 180 THEN '91_180' ELSE '180_plus' END AS bucket,
       COUNT(*) AS accounts,
       CAST(SUM(balance_minor) AS BIGINT) AS balance_minor
FROM aged
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
