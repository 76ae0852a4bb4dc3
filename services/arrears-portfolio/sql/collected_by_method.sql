-- Collected by method in (from, to], net of reversals recorded in it (the API's definition).
-- $1 tenant, $2 `from` instant, $3 `to` instant. Same text on PostgreSQL and SQLite.
SELECT currency, method,
       CAST(SUM(CASE WHEN recorded_at > $2 AND recorded_at <= $3 THEN amount_minor ELSE 0 END)
          - SUM(CASE WHEN reversed_at > $2 AND reversed_at <= $3 THEN amount_minor ELSE 0 END)
            AS BIGINT) AS net_minor
FROM portfolio_payments_v1
WHERE tenant = $1
GROUP BY currency, method
ORDER BY currency, method
