-- The one definition of a cancer that counts (SPEC §2), from the rules file's [cancer] section:
-- the 3-character ICD-10 category in icd10_from..icd10_to, not starting with any icd10_except.
-- Used by the cohort (known cancer), the report and `aos evaluate` (outcome).
CREATE OR REPLACE TEMP MACRO is_counted_cancer(code) AS
    substr(upper(code), 1, 3) BETWEEN {{cancer.icd10_from}} AND {{cancer.icd10_to}}
    AND len(list_filter(CAST({{cancer.icd10_except}} AS VARCHAR[]),
                        lambda x: starts_with(upper(code), x))) = 0;
