-- Replace the requested months' rows in the cohort tables (run inside one transaction).
-- Internal integer patient keys are mapped back to patient_id through c_ids.
DELETE FROM cohort_runs WHERE month IN (SELECT month FROM c_months WHERE requested);
DELETE FROM criteria_met WHERE month IN (SELECT month FROM c_months WHERE requested);
DELETE FROM review_list WHERE month IN (SELECT month FROM c_months WHERE requested);
DELETE FROM attrition WHERE month IN (SELECT month FROM c_months WHERE requested);
DELETE FROM eligible_adults WHERE month IN (SELECT month FROM c_months WHERE requested);

INSERT INTO cohort_runs
SELECT month, {{rules_version}}, {{rules_hash}}, baseline_incomplete, {{not_evaluable}},
       CAST({{computed_at}} AS TIMESTAMP)
FROM c_months WHERE requested ORDER BY month;

INSERT INTO criteria_met
SELECT m.month, i.patient_id, c.criterion, c.evidence_date, c.value, c.threshold, c.unit, c.evidence
FROM c_criteria_ok c JOIN c_months m ON m.mi = c.mi AND m.requested
JOIN c_ids i ON i.pid = c.patient_id
ORDER BY m.month, i.patient_id, c.criterion;

INSERT INTO attrition
SELECT m.month, a.care_unit_id, a.step_no, a.step, a.n_before, a.n_excluded, a.n_after
FROM c_attrition a JOIN c_months m ON m.mi = a.mi AND m.requested
ORDER BY m.month, a.care_unit_id, a.step_no;

INSERT INTO eligible_adults
SELECT m.month, b.patient_text, b.care_unit_id
FROM c_base b JOIN c_months m ON m.mi = b.mi AND m.requested
WHERE b.excluded_at NOT IN (1, 2, 3);
-- patient_month_features is filled by the engine from 08_features.sql, a few months at a time;
-- review_list by 10_episodes.sql.
