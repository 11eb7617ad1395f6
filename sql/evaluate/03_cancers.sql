-- Cancers that count as the outcome: macro is_counted_cancer (sql/cohort/cancer.sql, from the
-- rules file's [cancer] section), the same definition as the cohort and the report.

CREATE OR REPLACE TEMP TABLE eval_cancers AS
SELECT patient_id, diagnosis_date, icd10
FROM cancer_diagnoses
WHERE is_counted_cancer(icd10);
