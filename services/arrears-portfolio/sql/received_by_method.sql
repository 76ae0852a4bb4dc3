-- Money received in (from, to] by BUSINESS time (received_at), for finance reconciliations,
-- leaving out payments reversed at any time up to now (not an as-of figure).
-- $1 tenant, $2 `from` instant, $3 `to` instant. Same text on PostgreSQL and SQLite.
SELECT currency, method, CAST(SUM(amount_minor) AS BIGINT) AS received_minor
FROM portfolio_payments_v1
WHERE tenant = $1 AND received_at > $2 AND received_at <= $3 AND reversed_at IS NULL
GROUP BY currency, method
ORDER BY currency, method
