-- Workload per rule over the evaluated months: eligible adult-months (the denominator),
-- new episodes and all flagged patient-months.

WITH months AS (
    SELECT month, count(*) AS n_eligible
    FROM eligible_adults
    WHERE month BETWEEN $first AND $last
    GROUP BY month
),
denominator AS (
    SELECT count(*) AS n_months, sum(n_eligible) AS eligible_months FROM months
),
episodes AS (
    SELECT rule_id, count(*) AS n_episodes FROM eval_episodes GROUP BY rule_id
),
flagged AS (
    SELECT rule_id, count(*) AS n_flagged FROM eval_flags
    WHERE month BETWEEN $first AND $last GROUP BY rule_id
)
SELECT r.rule_id, d.n_months, d.eligible_months,
       coalesce(e.n_episodes, 0) AS n_episodes,
       coalesce(f.n_flagged, 0) AS n_flagged
FROM eval_rules r
CROSS JOIN denominator d
LEFT JOIN episodes e USING (rule_id)
LEFT JOIN flagged f USING (rule_id)
ORDER BY r.rule_id;
