-- Cancer sites (ICD-10 chapter II blocks) of the counted cancers, per type, window, month.
SELECT m.yield_type, m.w, m.month, g.group_id, count(*) AS cancers
FROM rpt_yield_member m
JOIN rpt_cancer_group g ON substr(m.cancer_icd10, 1, 3) BETWEEN g.code_from AND g.code_to
WHERE m.cancer_date IS NOT NULL AND m.month BETWEEN $first AND $last
GROUP BY ALL;
