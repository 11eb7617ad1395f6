-- Patient-month aggregates, computed ONCE for all target months. Every later stage
-- evaluates its windows as sums / maxima over these rows, never over raw events.
-- Only rows dated lo_date .. hi_date (B of the first month .. T of the last) are read.
-- Exact duplicate rows count once (SELECT DISTINCT *).

-- Contacts: distinct contact days per patient-month (days never overlap across months).
CREATE OR REPLACE TEMP TABLE c_pm_contacts AS
SELECT patient_id, mi_of(contact_date) AS mi,
       count(DISTINCT contact_date) AS days, max(contact_date) AS last_date
FROM src_contacts
WHERE contact_date BETWEEN {{lo_date}} AND {{hi_date}}
GROUP BY ALL;

-- Prescriptions, read once: rows per patient, full ATC code and month (two prescriptions of
-- one drug on one day are two rows; exact duplicates count once).
CREATE OR REPLACE TEMP TABLE c_rx_item_months AS
SELECT patient_id, atc_code AS item, mi_of(prescribed_date) AS mi, count(*) AS n,
       min(prescribed_date) AS first_date, max(prescribed_date) AS last_date
FROM (SELECT DISTINCT * FROM src_prescriptions
      WHERE prescribed_date BETWEEN {{lo_date}} AND {{hi_date}})
GROUP BY ALL;

-- Prescription rows per patient-month.
CREATE OR REPLACE TEMP TABLE c_pm_rx AS
SELECT patient_id, mi, sum(n) AS n, max(last_date) AS last_date
FROM c_rx_item_months
GROUP BY ALL;

-- Substances: each month a full ATC code was prescribed, with the previous such month.
CREATE OR REPLACE TEMP TABLE c_substance_months AS
SELECT patient_id, item, mi, first_date,
       lag(mi) OVER (PARTITION BY patient_id, item ORDER BY mi) AS prev_mi
FROM c_rx_item_months;

-- Lab results, read once: the analytes the criteria, the route and the calcium correction
-- use (albumin from N days before lo_date, for the correction). lab_analytes: the engine's
-- fixed ones plus the analyte of each lab_above criterion.
CREATE OR REPLACE TEMP TABLE c_labs AS
SELECT DISTINCT *
FROM src_lab_results
WHERE list_contains({{lab_analytes}} || ['calcium', 'albumin'], analyte)
  AND sample_date BETWEEN {{lo_date}} - {{calcium_high.albumin_max_days}} AND {{hi_date}}
  AND value IS NOT NULL;

-- Labs used by criteria and route: monthly max / min (earliest date on ties), sum and count.
CREATE OR REPLACE TEMP TABLE c_pm_lab AS
SELECT patient_id, analyte, mi_of(sample_date) AS mi,
       max(value) AS vmax, arg_max(sample_date, max_key(value, sample_date)) AS vmax_date,
       min(value) AS vmin, arg_min(sample_date, min_key(value, sample_date)) AS vmin_date,
       sum(value) AS vsum, count(*) AS n
FROM c_labs
WHERE list_contains({{lab_analytes}}, analyte)
  AND sample_date >= {{lo_date}}
GROUP BY ALL;

-- Diagnosis code groups (c_code_groups: grp, prefix, filled by the engine from the rules):
-- each month a code of the group was recorded, with the previous such month.
CREATE OR REPLACE TEMP TABLE c_code_months AS
SELECT patient_id, item, mi, first_date, first_code,
       lag(mi) OVER (PARTITION BY patient_id, item ORDER BY mi) AS prev_mi
FROM (
    SELECT d.patient_id, g.grp AS item, mi_of(d.diagnosis_date) AS mi,
           min(d.diagnosis_date) AS first_date,
           arg_min(d.icd10, {'d': d.diagnosis_date, 'c': d.icd10}) AS first_code
    FROM src_diagnoses d
    JOIN c_code_groups g ON starts_with(d.icd10, g.prefix)
    WHERE d.diagnosis_date BETWEEN {{lo_date}} AND {{hi_date}}
    GROUP BY ALL
);

-- Counted cancer (macro is_counted_cancer, sql/cohort/cancer.sql) and referral events, as patient-months.
CREATE OR REPLACE TEMP TABLE c_cancer_months AS
SELECT DISTINCT patient_id, mi_of(diagnosis_date) AS mi
FROM src_cancer_diagnoses
WHERE diagnosis_date <= {{hi_date}}
  AND is_counted_cancer(icd10);

CREATE OR REPLACE TEMP TABLE c_referral_months AS
SELECT DISTINCT patient_id, mi_of(event_date) AS mi
FROM src_referrals
WHERE event_date BETWEEN {{lo_date}} AND {{hi_date}};
