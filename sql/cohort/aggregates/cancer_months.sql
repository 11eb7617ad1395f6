-- Counted cancer (macro is_counted_cancer, sql/cohort/cancer.sql), as patient-months.
SELECT DISTINCT patient_id, mi_of(diagnosis_date) AS mi
FROM src_cancer_diagnoses
WHERE diagnosis_date BETWEEN {{lo_date}} AND {{hi_date}}
  AND mi_of(diagnosis_date) IN (SELECT mi FROM c_rebuild WHERE agg = 'cancer_months')
  AND is_counted_cancer(icd10)
