"""Tiny constructed databases for evaluate's tests: canonical tables from pipeline.schema plus
the cohort tables of docs/architecture.md ("Cohort tables") and patient_month_features."""
from __future__ import annotations

from datetime import date

import duckdb

from pipeline import schema
from pipeline.paths import SQL_DIR

# The engine's own cohort-table DDL, plus a small stand-in for its features table.
COHORT_DDL = (SQL_DIR / "cohort" / "tables.sql").read_text(encoding="utf-8") + """
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
