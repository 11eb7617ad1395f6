-- The cohort tables (docs/architecture.md "Cohort tables"); recomputing a month replaces its rows.
CREATE TABLE IF NOT EXISTS cohort_runs (
    month DATE, rules_version VARCHAR, rules_hash VARCHAR, baseline_incomplete BOOLEAN,
    not_evaluable VARCHAR, computed_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS criteria_met (
    month DATE, patient_id VARCHAR, criterion VARCHAR, evidence_date DATE, value DOUBLE,
    threshold DOUBLE, unit VARCHAR, evidence VARCHAR);
CREATE TABLE IF NOT EXISTS review_list (
    month DATE, care_unit_id VARCHAR, patient_id VARCHAR, new_episode BOOLEAN, n_criteria INTEGER,
    criteria VARCHAR, route VARCHAR, prior_cancer BOOLEAN, evidence VARCHAR);
CREATE TABLE IF NOT EXISTS attrition (
    month DATE, care_unit_id VARCHAR, step_no INTEGER, step VARCHAR, n_before BIGINT,
    n_excluded BIGINT, n_after BIGINT);
CREATE TABLE IF NOT EXISTS eligible_adults (
    month DATE, patient_id VARCHAR, care_unit_id VARCHAR);
-- One row per committed `aos run`; its outputs are OUT/runs/<run_id> (pipeline/publish.py).
CREATE TABLE IF NOT EXISTS aos_runs (
    run_id VARCHAR PRIMARY KEY, command VARCHAR, months VARCHAR, out_dir VARCHAR,
    committed_at TIMESTAMP);
