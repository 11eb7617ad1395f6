-- Point-in-time features of the patient-months $months, as the cohort engine computed them
-- (data dated on or before T only). Nothing here joins an outcome.

SELECT *
FROM patient_month_features
WHERE list_contains($months, month)
ORDER BY month, patient_id;
