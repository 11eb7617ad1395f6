-- Number of distinct criteria met per patient-month in $months (0 when none), for comparing
-- the review rule with the model at equal workload.

SELECT p.month, p.patient_id, count(DISTINCT c.criterion) AS rule_n_criteria
FROM patient_month_features p
LEFT JOIN criteria_met c ON c.month = p.month AND c.patient_id = p.patient_id
WHERE list_contains($months, p.month)
GROUP BY p.month, p.patient_id
ORDER BY p.month, p.patient_id;
