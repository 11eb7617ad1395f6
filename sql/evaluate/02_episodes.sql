-- New episodes per rule in the evaluated months $first .. $last: a flag is new when the same
-- rule did not flag the patient in any of the $gap months before (SPEC §4 step 4).
-- The index date t of an episode is the last day of its first month.

CREATE OR REPLACE TEMP TABLE eval_episodes AS
SELECT f.rule_id, f.month, f.patient_id, last_day(f.month) AS t
FROM eval_flags f
WHERE f.month BETWEEN $first AND $last
  AND NOT EXISTS (
    SELECT 1 FROM eval_flags g
    WHERE g.rule_id = f.rule_id
      AND g.patient_id = f.patient_id
      AND g.month < f.month
      AND g.month >= CAST(f.month - to_months($gap) AS DATE)
  );
