-- The attrition steps of one month for one care unit ('ALL' = the region).
SELECT * FROM attrition WHERE month = $month AND care_unit_id = $care_unit ORDER BY step_no;
