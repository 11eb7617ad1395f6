"""Tiny constructed databases for evaluate's tests: canonical tables from pipeline.schema plus
the cohort tables of docs/architecture.md ("Cohort tables") and patient_month_features."""
from __future__ import annotations

from datetime import date

import duckdb

from pipeline import schema

COHORT_DDL = """
CREATE TABLE IF NOT EXISTS cohort_runs (month DATE, rules_version VARCHAR, rules_hash VARCHAR,
    baseline_incomplete BOOLEAN, not_evaluable VARCHAR, computed_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS criteria_met (month DATE, patient_id VARCHAR, criterion VARCHAR,
    evidence_date DATE, value DOUBLE, threshold DOUBLE, unit VARCHAR, evidence VARCHAR);
CREATE TABLE IF NOT EXISTS review_list (month DATE, care_unit_id VARCHAR, patient_id VARCHAR,
    new_episode BOOLEAN, n_criteria INT, criteria VARCHAR, route VARCHAR, prior_cancer BOOLEAN,
    evidence VARCHAR);
CREATE TABLE IF NOT EXISTS attrition (month DATE, care_unit_id VARCHAR, step_no INT, step VARCHAR,
    n_before BIGINT, n_excluded BIGINT, n_after BIGINT);
CREATE TABLE IF NOT EXISTS eligible_adults (month DATE, patient_id VARCHAR, care_unit_id VARCHAR);
CREATE TABLE IF NOT EXISTS patient_month_features (month DATE, patient_id VARCHAR, age INT,
    sex VARCHAR, care_unit_id VARCHAR, contact_days_r INT, hb_min_r DOUBLE, alp_max_r DOUBLE,
    alp_high BOOLEAN, hb_low BOOLEAN);
"""


def month(text: str) -> date:
    y, m = text.split("-")
    return date(int(y), int(m), 1)


def new_db(complete_until: str = "2024-12-31") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    schema.create_all(con)
    con.execute(COHORT_DDL)
    con.execute("INSERT INTO extract_meta (extract_id, extract_dir, cancer_register_complete_until, "
                "ingested_at) VALUES ('x', 'test', ?, now())", [date.fromisoformat(complete_until)])
    return con


def add_eligible(con, patients: list[str], first: str, last: str, unit: str = "U1") -> None:
    con.execute("""
        INSERT INTO eligible_adults
        SELECT CAST(m AS DATE), p, ? FROM unnest(?) t(p),
            unnest(generate_series(?::DATE, ?::DATE, INTERVAL 1 MONTH)) s(m)""",
                [unit, patients, month(first), month(last)])


def add_criteria(con, rows: list[tuple[str, str, str]]) -> None:
    """rows: (YYYY-MM, patient_id, criterion)"""
    if rows:
        con.executemany("INSERT INTO criteria_met (month, patient_id, criterion) VALUES (?, ?, ?)",
                        [(month(m), p, c) for m, p, c in rows])


def add_cancers(con, rows: list[tuple[str, str, str]]) -> None:
    """rows: (patient_id, YYYY-MM-DD, icd10)"""
    if rows:
        con.executemany("INSERT INTO cancer_diagnoses VALUES (?, ?, ?)",
                        [(p, date.fromisoformat(d), c) for p, d, c in rows])
