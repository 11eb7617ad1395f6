-- How many patients met each criterion in one month, and how many of them are on the review list.
SELECT c.criterion, count(DISTINCT c.patient_id) AS patients,
       count(DISTINCT c.patient_id) FILTER (WHERE r.patient_id IS NOT NULL) AS on_review_list
FROM criteria_met c
LEFT JOIN review_list r ON r.month = c.month AND r.patient_id = c.patient_id
WHERE c.month = $month
GROUP BY c.criterion
ORDER BY patients DESC, c.criterion;
