-- Roll-rate matrix: every account with a balance at `from`, by its bucket at `from` and at `to`
-- (or 'paid'), with its balance at `from`. Roll rate k→k+1 = balance(k→k+1) / balance(k→*).
-- $1 tenant, $2 `from` instant, $3 `from` UTC date, $4 `to` instant, $5 `to` UTC date.
WITH items AS (
    SELECT i.tenant, i.debtor_id, i.account_id, i.item, i.due_date, i.amount_minor, i.recorded_at
    FROM portfolio_items_v1 i WHERE i.tenant = $1
),
alloc AS (
    SELECT debtor_id, account_id, item, amount_minor, recorded_at, reversed_at
    FROM portfolio_allocations_v1 WHERE tenant = $1
),
at_from AS (
    SELECT i.debtor_id, i.account_id, i.due_date,
           i.amount_minor - COALESCE((SELECT SUM(l.amount_minor) FROM alloc l
               WHERE l.debtor_id = i.debtor_id AND l.account_id = i.account_id AND l.item = i.item
                 AND l.recorded_at <= $2 AND (l.reversed_at IS NULL OR l.reversed_at > $2)), 0)
             AS unpaid_minor
    FROM items i WHERE i.recorded_at <= $2
),
at_to AS (
    SELECT i.debtor_id, i.account_id, i.due_date,
           i.amount_minor - COALESCE((SELECT SUM(l.amount_minor) FROM alloc l
               WHERE l.debtor_id = i.debtor_id AND l.account_id = i.account_id AND l.item = i.item
                 AND l.recorded_at <= $4 AND (l.reversed_at IS NULL OR l.reversed_at > $4)), 0)
             AS unpaid_minor
    FROM items i WHERE i.recorded_at <= $4
),
acc_from AS (
    SELECT debtor_id, account_id, SUM(unpaid_minor) AS balance_minor,
           ($3::date - MIN(CASE WHEN unpaid_minor > 0 THEN due_date END)) AS dpd
    FROM at_from GROUP BY debtor_id, account_id
),
acc_to AS (
    SELECT debtor_id, account_id, SUM(unpaid_minor) AS balance_minor,
           ($5::date - MIN(CASE WHEN unpaid_minor > 0 THEN due_date END)) AS dpd
    FROM at_to GROUP BY debtor_id, account_id
),
moves AS (
    SELECT a.currency, f.balance_minor,
           CASE WHEN f.dpd <= 0 THEN 'current' WHEN f.dpd <= 30 THEN '1_30'
                WHEN f.dpd <= 60 THEN '31_60' WHEN f.dpd <= 90 THEN '61_90'
                WHEN f.dpd <= 180 THEN '91_180' ELSE '180_plus' END AS from_bucket,
           CASE WHEN t.balance_minor <= 0 THEN 'paid' WHEN t.dpd <= 0 THEN 'current'
                WHEN t.dpd <= 30 THEN '1_30' WHEN t.dpd <= 60 THEN '31_60'
                WHEN t.dpd <= 90 THEN '61_90' WHEN t.dpd <= 180 THEN '91_180'
                ELSE '180_plus' END AS to_bucket
    FROM acc_from f
    JOIN acc_to t ON t.debtor_id = f.debtor_id AND t.account_id = f.account_id
    JOIN portfolio_accounts_v1 a
      ON a.tenant = $1 AND a.debtor_id = f.debtor_id AND a.account_id = f.account_id
    WHERE f.balance_minor > 0
)
SELECT currency, from_bucket, to_bucket, COUNT(*) AS accounts,
       CAST(SUM(balance_minor) AS BIGINT) AS balance_minor
FROM moves
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
