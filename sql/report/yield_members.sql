-- SPEC §6.2: one row per cohort member and window W, with the first counted cancer.
-- pathway: AOS starts; cancer on or after the start and on or before start + W months.
-- flag: new review episodes; cancer in (T, last day of month M + W].
-- window_end: the day the whole cohort month's window ends.
CREATE OR REPLACE TEMP TABLE rpt_yield_member AS
WITH w AS (SELECT unnest($windows::INTEGER[]) AS w),
pathway AS (
    SELECT 'pathway' AS yield_type, w.w, s.month, s.care_unit_id, s.patient_id,
           (last_day(s.month) + to_months(w.w))::DATE AS window_end,
           s.start_date AS from_date, (s.start_date + to_months(w.w))::DATE AS to_date,
           TRUE AS from_inclusive
    FROM rpt_start s CROSS JOIN w
), flag AS (
    SELECT 'flag', w.w, e.month, e.care_unit_id, e.patient_id,
           last_day(e.month + to_months(w.w)),
           e.t, last_day(e.month + to_months(w.w)), FALSE
    FROM rpt_episode e CROSS JOIN w
), members AS (SELECT * FROM pathway UNION ALL SELECT * FROM flag)
SELECT m.yield_type, m.w, m.month, m.care_unit_id, m.window_end,
       min(c.diagnosis_date) AS cancer_date,
       arg_min(c.icd10, (c.diagnosis_date, c.icd10)) AS cancer_icd10
FROM members m
LEFT JOIN rpt_cancer c
       ON c.patient_id = m.patient_id
      AND c.diagnosis_date <= m.to_date
      AND (c.diagnosis_date > m.from_date OR (m.from_inclusive AND c.diagnosis_date = m.from_date))
GROUP BY m.yield_type, m.w, m.month, m.care_unit_id, m.window_end, m.patient_id, m.from_date;
