-- The learned model's patient-months, split in DuckDB (nothing is pulled into Python here):
-- every row of patient_month_features in $months, with
--   label           a cancer (eval_cancers) in (T, last day of month M + $window months],
--                   computed apart from the features, so features can never see it;
--   rule_n_criteria distinct criteria met (criteria_met; 0 when none), for the rule comparison;
--   role            'test': a held-out patient in a test month ($test_months);
--                   'train': any other patient in an earlier month; NULL: neither;
--   sample_key      a seeded hash in [0, 1) that orders the training rows for the sample.
-- Held-out patients: the seeded hash of patient_id below $held_out_share. (A view takes no
-- bound parameters: the seed is rendered as a literal there.)

CREATE OR REPLACE TEMP TABLE eval_model_months AS
SELECT CAST(m AS DATE) AS month, list_contains($test_months, m) AS is_test
FROM unnest($months) t(m);

CREATE OR REPLACE TEMP TABLE eval_model_patients AS
SELECT patient_id,
       md5_number_lower(patient_id || '#' || $seed) / 18446744073709551616.0 < $held_out_share
           AS held_out
FROM (SELECT DISTINCT patient_id FROM patient_month_features
      WHERE month IN (SELECT month FROM eval_model_months));

CREATE OR REPLACE TEMP TABLE eval_model_positive AS
SELECT DISTINCT m.month, c.patient_id
FROM eval_cancers c
JOIN eval_model_months m
  ON c.diagnosis_date > last_day(m.month)
 AND c.diagnosis_date <= last_day(CAST(m.month + to_months($window) AS DATE));

CREATE OR REPLACE TEMP TABLE eval_model_flags AS
SELECT month, patient_id, count(DISTINCT criterion) AS n
FROM criteria_met
WHERE month IN (SELECT month FROM eval_model_months)
GROUP BY month, patient_id;

CREATE OR REPLACE TEMP VIEW eval_model_rows AS
SELECT f.*,
       pos.patient_id IS NOT NULL AS label,
       CAST(coalesce(fl.n, 0) AS INTEGER) AS rule_n_criteria,
       CASE WHEN m.is_test AND pt.held_out THEN 'test'
            WHEN NOT m.is_test AND NOT pt.held_out THEN 'train' END AS role,
       md5_number_lower(f.patient_id || '#' || strftime(f.month, '%Y-%m') || '#' || {{seed}})
           / 18446744073709551616.0 AS sample_key
FROM patient_month_features f
JOIN eval_model_months m ON m.month = f.month
JOIN eval_model_patients pt ON pt.patient_id = f.patient_id
LEFT JOIN eval_model_positive pos ON pos.month = f.month AND pos.patient_id = f.patient_id
LEFT JOIN eval_model_flags fl ON fl.month = f.month AND fl.patient_id = f.patient_id;
