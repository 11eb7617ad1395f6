-- The run's window of the stored patient-month aggregates (agg_*, kept up to date by
-- pipeline/cohort/aggregates.py from sql/cohort/aggregates/): months lo_mi .. hi_mi (B of the
-- first target month .. the last). Every later stage evaluates its windows as sums / maxima
-- over these rows, never over raw events. With focus (the look-back months before the first
-- requested month, needed for new episodes only) just the patients in c_focus are read.
-- patient_text: the text patient_id, carried along for the stored tables (no second join).
CREATE OR REPLACE TEMP VIEW c_patients AS
SELECT i.pid AS patient_id, t.patient_id AS patient_text, t.* EXCLUDE (patient_id)
FROM main.patients t JOIN c_ids i ON i.patient_id = t.patient_id
WHERE NOT {{focus}} OR i.pid IN (SELECT patient_id FROM c_focus);
CREATE OR REPLACE TEMP VIEW c_pm_contacts AS
SELECT * FROM main.agg_pm_contacts WHERE mi BETWEEN {{lo_mi}} AND {{hi_mi}}
  AND (NOT {{focus}} OR patient_id IN (SELECT patient_id FROM c_focus));

CREATE OR REPLACE TEMP VIEW c_pm_rx AS
SELECT * FROM main.agg_pm_rx WHERE mi BETWEEN {{lo_mi}} AND {{hi_mi}}
  AND (NOT {{focus}} OR patient_id IN (SELECT patient_id FROM c_focus));

CREATE OR REPLACE TEMP VIEW c_pm_lab AS
SELECT * FROM main.agg_pm_lab WHERE mi BETWEEN {{lo_mi}} AND {{hi_mi}}
  AND (NOT {{focus}} OR patient_id IN (SELECT patient_id FROM c_focus));

CREATE OR REPLACE TEMP VIEW c_pm_calcium AS
SELECT * FROM main.agg_pm_calcium WHERE mi BETWEEN {{lo_mi}} AND {{hi_mi}}
  AND (NOT {{focus}} OR patient_id IN (SELECT patient_id FROM c_focus));

CREATE OR REPLACE TEMP VIEW c_pm_weight AS
SELECT * FROM main.agg_pm_weight WHERE mi BETWEEN {{lo_mi}} AND {{hi_mi}}
  AND (NOT {{focus}} OR patient_id IN (SELECT patient_id FROM c_focus));

-- Substances (full ATC codes) and diagnosis code groups: each month the item was recorded,
-- with the previous such month within the window (an earlier one lies before every B).
CREATE OR REPLACE TEMP TABLE c_substance_months AS
SELECT patient_id, item, mi, first_date,
       lag(mi) OVER (PARTITION BY patient_id, item ORDER BY mi) AS prev_mi
FROM main.agg_rx_item_months
WHERE mi BETWEEN {{lo_mi}} AND {{hi_mi}}
  AND (NOT {{focus}} OR patient_id IN (SELECT patient_id FROM c_focus));

CREATE OR REPLACE TEMP TABLE c_code_months AS
SELECT patient_id, item, mi, first_date, first_code,
       lag(mi) OVER (PARTITION BY patient_id, item ORDER BY mi) AS prev_mi
FROM main.agg_code_months
WHERE mi BETWEEN {{lo_mi}} AND {{hi_mi}}
  AND (NOT {{focus}} OR patient_id IN (SELECT patient_id FROM c_focus));

-- Counted cancer (any month up to the last) and referral events, as patient-months.
CREATE OR REPLACE TEMP VIEW c_cancer_months AS
SELECT * FROM main.agg_cancer_months WHERE mi <= {{hi_mi}}
  AND (NOT {{focus}} OR patient_id IN (SELECT patient_id FROM c_focus));

CREATE OR REPLACE TEMP VIEW c_referral_months AS
SELECT * FROM main.agg_referral_months WHERE mi BETWEEN {{lo_mi}} AND {{hi_mi}}
  AND (NOT {{focus}} OR patient_id IN (SELECT patient_id FROM c_focus));
