-- Cancers that count as the outcome: the 3-character ICD-10 category from $cancer_from to
-- $cancer_to, not starting with any of $cancer_except (C00-C97 except C44 by default, SPEC §2).

CREATE OR REPLACE TEMP TABLE eval_cancers AS
SELECT patient_id, diagnosis_date, icd10
FROM cancer_diagnoses
WHERE substr(upper(icd10), 1, 3) BETWEEN $cancer_from AND $cancer_to
  AND NOT list_bool_or([starts_with(upper(icd10), x) FOR x IN $cancer_except]);
