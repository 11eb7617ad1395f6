-- Back-test flags: for every rule, the patient-months it flags.
-- A rule is one criterion, a pair of criteria, or the review rule at min_criteria k.
-- Input: criteria_met (every met criterion of every patient who passed the exclusions).
-- Months from $lookback_from (for episodes and sensitivity look-back) to $last.

CREATE OR REPLACE TEMP TABLE eval_patient_month AS
SELECT month, patient_id, count(DISTINCT criterion) AS n_criteria
FROM criteria_met
WHERE month BETWEEN $lookback_from AND $last
GROUP BY month, patient_id;

CREATE OR REPLACE TEMP TABLE eval_flags AS
SELECT DISTINCT 'criterion:' || criterion AS rule_id, month, patient_id
FROM criteria_met
WHERE month BETWEEN $lookback_from AND $last
UNION ALL
SELECT DISTINCT 'pair:' || a.criterion || '+' || b.criterion AS rule_id, a.month, a.patient_id
FROM criteria_met a
JOIN criteria_met b
  ON a.month = b.month AND a.patient_id = b.patient_id AND a.criterion < b.criterion
WHERE a.month BETWEEN $lookback_from AND $last
UNION ALL
SELECT 'min_criteria:' || k.k AS rule_id, p.month, p.patient_id
FROM eval_patient_month p
JOIN eval_min_criteria k ON p.n_criteria >= k.k;
