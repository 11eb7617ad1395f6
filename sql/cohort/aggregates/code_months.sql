-- Diagnosis code groups (c_code_groups: grp, prefix, filled by the engine from the rules):
-- each month a code of the group was recorded, its first date and code.
SELECT d.patient_id, g.grp AS item, mi_of(d.diagnosis_date) AS mi,
       min(d.diagnosis_date) AS first_date,
       arg_min(d.icd10, {'d': d.diagnosis_date, 'c': d.icd10}) AS first_code
FROM src_diagnoses d
JOIN c_code_groups g ON starts_with(d.icd10, g.prefix)
WHERE d.diagnosis_date BETWEEN {{lo_date}} AND {{hi_date}}
  AND mi_of(d.diagnosis_date) IN (SELECT mi FROM c_rebuild WHERE agg = 'code_months')
GROUP BY ALL
