-- New episodes per rule in the evaluated months $first .. $last: a flag is new when the same
-- rule did not flag the patient in any of the $gap months before (SPEC §4 step 4), i.e. when
-- the rule's previous flag of the patient (lag over eval_flags, one row per rule, month and
-- patient) is absent or older than $gap months. A window, not a self-join: linear in the flags.
-- The index date t of an episode is the last day of its first month.

CREATE OR REPLACE TEMP TABLE eval_episodes AS
SELECT rule_id, month, patient_id, last_day(month) AS t
FROM (
    SELECT rule_id, month, patient_id,
           lag(month) OVER (PARTITION BY rule_id, patient_id ORDER BY month) AS previous
    FROM eval_flags
) f
WHERE month BETWEEN $first AND $last
  AND (previous IS NULL OR previous < CAST(month - to_months($gap) AS DATE));
