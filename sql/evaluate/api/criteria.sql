-- Every met criterion of every patient who passed the exclusions in one month.
SELECT * FROM criteria_met WHERE month = $month ORDER BY patient_id, criterion;
