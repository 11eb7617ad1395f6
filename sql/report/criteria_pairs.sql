-- Overlap: patients on the review list of month $last meeting both criteria of a pair.
WITH c AS (
    SELECT DISTINCT cm.patient_id, cm.criterion
    FROM criteria_met cm
    JOIN review_list r ON r.month = cm.month AND r.patient_id = cm.patient_id
    WHERE cm.month = $last
), crit AS (SELECT DISTINCT criterion FROM c)
SELECT a.criterion AS criterion_a, b.criterion AS criterion_b,
       count(DISTINCT ca.patient_id) FILTER (WHERE cb.patient_id IS NOT NULL) AS patients
FROM crit a JOIN crit b ON a.criterion < b.criterion
LEFT JOIN c ca ON ca.criterion = a.criterion
LEFT JOIN c cb ON cb.criterion = b.criterion AND cb.patient_id = ca.patient_id
GROUP BY ALL
ORDER BY criterion_a, criterion_b;
