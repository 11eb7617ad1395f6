-- Model rows and labels: every patient-month of patient_month_features in the months $months,
-- with label = a cancer (eval_cancers) in (T, last day of month M + $window months].
-- The label is computed apart from the features, so features can never see it.

SELECT p.month, p.patient_id,
       EXISTS (
           SELECT 1 FROM eval_cancers c
           WHERE c.patient_id = p.patient_id
             AND c.diagnosis_date > last_day(p.month)
             AND c.diagnosis_date <= last_day(CAST(p.month + to_months($window) AS DATE))
       ) AS label
FROM patient_month_features p
WHERE list_contains($months, p.month)
ORDER BY p.month, p.patient_id;
