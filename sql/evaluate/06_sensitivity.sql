-- Sensitivity and lead time per rule. The cancers: each patient's first cancer, diagnosed from
-- $first through the end of $last and on or before $complete_until, in a patient who was an
-- eligible adult in at least one month of the $lookback months before the diagnosis.
-- Found when a flag of the rule (any month it was met, T before the diagnosis) came at most
-- $lookback months before; lead time = diagnosis date - T of the first such flag, in days.

CREATE OR REPLACE TEMP TABLE eval_sensitivity_cancers AS
WITH first_cancer AS (
    SELECT patient_id, min(diagnosis_date) AS d FROM eval_cancers GROUP BY patient_id
)
SELECT c.patient_id, c.d
FROM first_cancer c
WHERE c.d >= $first
  AND c.d <= last_day($last)
  AND c.d <= $complete_until
  AND EXISTS (
      SELECT 1 FROM eligible_adults a
      WHERE a.patient_id = c.patient_id
        AND last_day(a.month) < c.d
        AND last_day(a.month) >= CAST(c.d - to_months($lookback) AS DATE)
  );

WITH found AS (
    SELECT f.rule_id, c.patient_id, c.d, min(last_day(f.month)) AS first_t
    FROM eval_sensitivity_cancers c
    JOIN eval_flags f
      ON f.patient_id = c.patient_id
     AND last_day(f.month) < c.d
     AND last_day(f.month) >= CAST(c.d - to_months($lookback) AS DATE)
    GROUP BY f.rule_id, c.patient_id, c.d
)
SELECT r.rule_id,
       (SELECT count(*) FROM eval_sensitivity_cancers) AS n_cancers,
       count(f.patient_id) AS n_found,
       median(f.d - f.first_t) AS lead_days_median,
       quantile_cont(f.d - f.first_t, 0.25) AS lead_days_q1,
       quantile_cont(f.d - f.first_t, 0.75) AS lead_days_q3
FROM eval_rules r
LEFT JOIN found f USING (rule_id)
GROUP BY r.rule_id
ORDER BY r.rule_id;
