-- Promise funnel per agent: promises made in (from, to], how many were kept by `to`, and how
-- many were kept before their deadline (end of the UTC day due_date + grace days).
-- $1 tenant, $2 `from` instant, $3 `to` instant, $4 grace days (integer).
SELECT agent,
       COUNT(*) AS made,
       SUM(CASE WHEN kept_at IS NOT NULL AND kept_at <= $3 THEN 1 ELSE 0 END) AS kept,
       SUM(CASE WHEN kept_at IS NOT NULL AND kept_at <= $3
                 AND kept_at < date(due_date, '+' || ($4 + 1) || ' days')
                THEN 1 ELSE 0 END) AS kept_on_time
FROM portfolio_promises_v1
WHERE tenant = $1 AND made_at > $2 AND made_at <= $3
GROUP BY agent
ORDER BY agent
