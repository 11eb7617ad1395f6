-- Region attrition of the report month (SPEC §4).
SELECT step_no, step, n_before, n_excluded, n_after
FROM attrition WHERE month = $last AND care_unit_id = 'ALL' ORDER BY step_no;
