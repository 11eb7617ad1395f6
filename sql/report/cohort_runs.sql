-- Rules version, hash and flags per month in the trend window.
SELECT month, rules_version, rules_hash, baseline_incomplete, not_evaluable, computed_at
FROM cohort_runs WHERE month BETWEEN $first AND $last ORDER BY month;
