-- Right-party contacts on outbound calls per agent, recorded in (from, to].
-- $1 tenant, $2 `from` instant, $3 `to` instant. Same text on PostgreSQL and SQLite.
SELECT agent, COUNT(*) AS call_attempts,
       SUM(CASE WHEN outcome = 'right_party_contact' THEN 1 ELSE 0 END) AS rpc
FROM portfolio_contacts_v1
WHERE tenant = $1 AND channel = 'phone' AND direction = 'outbound'
  AND recorded_at > $2 AND recorded_at <= $3
GROUP BY agent
ORDER BY agent
