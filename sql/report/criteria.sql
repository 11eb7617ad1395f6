-- Patients meeting each criterion per month (region); zero rows kept for criteria seen
-- in the period. Parameters: $first, $last.
WITH met AS (
    SELECT month, criterion, count(DISTINCT patient_id) AS n
    FROM criteria_met WHERE month BETWEEN $first AND $last GROUP BY ALL
), months AS (
    SELECT DISTINCT month FROM eligible_adults WHERE month BETWEEN $first AND $last
), crit AS (SELECT DISTINCT criterion FROM met)
SELECT m.month, c.criterion, coalesce(met.n, 0) AS patients
FROM months m CROSS JOIN crit c
LEFT JOIN met ON met.month = m.month AND met.criterion = c.criterion
ORDER BY m.month, c.criterion;
