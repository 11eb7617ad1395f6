"""Quarantine reasons as categories: what may leave the database.

The `quarantine.reason` of a row may quote the refused cell (it stays in the database, for the
analyst). Anything released — `releasable/data_quality.csv`, report.html, report.xlsx, messages —
shows only a category from this allow-list, with the column name. A reason that matches no pattern
is `other`: a new reason can never leak its text, it only shows up as `other` (and the test
`tests/reliability/test_hostile_reasons.py` names every reason template that lacks a category).
Display texts: `q_<category>` in pipeline/data/messages/{sv,en}.toml.
"""
from __future__ import annotations

import re

# (category, RE2/Python pattern over the reason); the first match wins. The patterns anchor on
# the fixed text of the templates in pipeline/ingest/normalise.py and load.py.
CATEGORIES = (
    ("impossible_value", r"impossible value"),
    ("duplicate", r"^exact duplicate of row [0-9]+$"),
    ("key_conflict", r" different rows for .* in the file \(rows [0-9, ]+\)$"),
    ("orphan", r"^patient_id: not in patients"),
    ("missing_value", r"^[a-z0-9_]+: missing value"),
    ("not_a_date", r"( is not a valid date \(YYYY-MM-DD or YYYYMMDD\)|: a plain number, not a date .*)$"),
    ("before_1900", r" is before 1900$"),
    ("not_a_year", r" is not a year \(YYYY\)$"),
    ("unknown_code", r"( is not one of [A-Za-z0-9_/ ]+|^operator_concept_id: not a known comparison operator concept)$"),
    ("not_icd10", r" is not an ICD-10 code$"),
    ("not_atc", r" is not an ATC code$"),
    ("not_a_number", r" is not a number$"),
    ("negative", r" is negative$"),
    ("unknown_unit", r" is not a known unit for [a-z0-9_]+$"),
    ("birth_year_mismatch", r" disagrees with birth_date$"),
    ("listed_to_before_from", r" is before listed_from$"),
    ("after_extract_date", r" is after (the extract date [0-9-]+|today \([0-9-]+\))$"),
    ("after_extract_year", r" is after the extract year [0-9]+$"),
)
OTHER = "other"
_COMPILED = [(c, re.compile(p)) for c, p in CATEGORIES]


def category(reason: str | None) -> str:
    for code, pattern in _COMPILED:
        if reason is not None and pattern.search(reason):
            return code
    return OTHER


def category_sql(expr: str) -> str:
    """The same classification as a SQL expression over `expr`."""
    whens = " ".join(f"WHEN regexp_matches({expr}, '{p}') THEN '{c}'" for c, p in CATEGORIES)
    return f"CASE {whens} ELSE '{OTHER}' END"


def install(con) -> None:
    """TEMP macro `aos_release_reason(reason)` (sql/report/quarantine_reasons.sql)."""
    con.execute(f"CREATE OR REPLACE TEMP MACRO aos_release_reason(reason) AS {category_sql('reason')}")
