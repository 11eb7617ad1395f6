-- Cohort months computed in the database, oldest first.
SELECT DISTINCT month FROM cohort_runs ORDER BY month;
