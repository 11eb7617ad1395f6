-- SPEC v1.1 §6.2 AOS route share: cancers diagnosed from $period_from to $period_to (one per
-- patient and day), and those whose patient had an AOS start in the $lookback months before
-- diagnosis (start on or before the diagnosis date). Parameters: $period_from, $period_to, $lookback.
WITH c AS (
    SELECT DISTINCT patient_id, diagnosis_date
    FROM rpt_cancer
    WHERE diagnosis_date BETWEEN $period_from AND $period_to
)
SELECT count(*) AS cancers,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM rpt_start s
           WHERE s.patient_id = c.patient_id
             AND s.start_date <= c.diagnosis_date
             AND s.start_date >= c.diagnosis_date - to_months($lookback::INTEGER))) AS after_aos
FROM c;
