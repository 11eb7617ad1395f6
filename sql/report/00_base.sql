-- Base sets for the report, as temp tables.

-- Cancers that count (SPEC §2; macro is_counted_cancer from the rules file), from the cancer register linkage.
CREATE OR REPLACE TEMP TABLE rpt_cancer AS
SELECT DISTINCT patient_id, diagnosis_date, icd10
FROM cancer_diagnoses
WHERE is_counted_cancer(icd10);

-- AOS starts (VP810) with the first closing event before the patient's next start.
-- care_unit_id: the patient's listed unit in the start month, else the current unit.
CREATE OR REPLACE TEMP TABLE rpt_start AS
WITH s AS (
    SELECT patient_id, start_date,
           lead(start_date) OVER (PARTITION BY patient_id ORDER BY start_date) AS next_start
    FROM (SELECT DISTINCT patient_id, event_date AS start_date
          FROM referrals WHERE pathway = 'AOS' AND event = 'start')
), closing AS (
    SELECT s.patient_id, s.start_date, min(r.event_date) AS close_date
    FROM s
    JOIN referrals r
      ON r.patient_id = s.patient_id AND r.pathway = 'AOS' AND r.event LIKE 'end_%'
     AND r.event_date >= s.start_date
     AND (s.next_start IS NULL OR r.event_date < s.next_start)
    GROUP BY s.patient_id, s.start_date
)
SELECT s.patient_id, s.start_date,
       date_trunc('month', s.start_date)::DATE AS month,
       coalesce(e.care_unit_id, p.care_unit_id, '(unknown)') AS care_unit_id,
       p.sex, c.close_date
FROM s
LEFT JOIN closing c ON c.patient_id = s.patient_id AND c.start_date = s.start_date
LEFT JOIN eligible_adults e
       ON e.patient_id = s.patient_id AND e.month = date_trunc('month', s.start_date)
LEFT JOIN patients p ON p.patient_id = s.patient_id;

-- New review episodes (SPEC §4): index date T = last day of the first month.
CREATE OR REPLACE TEMP TABLE rpt_episode AS
SELECT DISTINCT month, last_day(month) AS t, patient_id,
       coalesce(care_unit_id, '(unknown)') AS care_unit_id
FROM review_list
WHERE new_episode;
