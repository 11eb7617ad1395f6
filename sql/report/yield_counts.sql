-- Cohort size and members with a counted cancer, per type, window, month and unit.
SELECT yield_type, w, month, care_unit_id, max(window_end) AS window_end,
       count(*) AS n, count(cancer_date) AS cancers
FROM rpt_yield_member
WHERE month BETWEEN $first AND $last
GROUP BY ALL
ORDER BY yield_type, w, month, care_unit_id;
