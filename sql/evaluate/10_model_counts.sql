-- Size of the training and test sets before any sampling: patient-months, patients, cancers.

SELECT role, count(*) AS n_rows, count(DISTINCT patient_id) AS n_patients,
       count(*) FILTER (WHERE label) AS n_cancer
FROM eval_model_rows
WHERE role IS NOT NULL
GROUP BY role;
