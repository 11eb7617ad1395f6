-- SPEC §6.4: per AOS start and panel test, whether any of the test's analytes has a
-- result dated start - $window_days .. start. rpt_panel(test_id, analyte, sex) comes from
-- pipeline/data/report/lab_panel.toml; a test with a sex applies to that sex only.
CREATE OR REPLACE TEMP TABLE rpt_panel_result AS
SELECT s.patient_id, s.start_date, s.month, t.test_id,
       bool_or(l.patient_id IS NOT NULL) AS present
FROM rpt_start s
JOIN rpt_panel t ON t.sex IS NULL OR t.sex = s.sex
LEFT JOIN lab_results l
       ON l.patient_id = s.patient_id AND l.analyte = t.analyte
      AND l.sample_date BETWEEN s.start_date - $window_days::INTEGER AND s.start_date
GROUP BY ALL;
