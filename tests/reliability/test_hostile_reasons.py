"""Issue 9, finding 2: quarantine reasons leave the database only as categories. Every reason
template of ingest has a category (a new template without one fails here, by name)."""
from __future__ import annotations

import datetime as dt
import re

import duckdb
import pytest

from pipeline import reasons, schema
from pipeline.ingest import load, normalise, reference
from pipeline.report.messages import Messages


def _reference_texts(extra: str, ref: str) -> list[str]:
    """A reason that is a column of a shipped reference table (`c.r_x`, resolved in the table's
    extra SQL as `alias.col AS r_x` from `JOIN table alias`): every text of that column."""
    alias, col = re.search(rf"(\w+)\.(\w+) AS {ref.split('.')[1]}\b", extra).groups()
    table = re.search(rf"JOIN (\w+) {alias}\b", extra).group(1)
    con = duckdb.connect()
    reference.install(con)
    # sorted: pytest-xdist workers must collect the same parameters in the same order
    texts = sorted(r[0] for r in con.execute(
        f"SELECT DISTINCT {col} FROM {table} WHERE {col} IS NOT NULL").fetchall())
    assert texts, ref
    return texts


def _examples(reason_sql: str, extra: str) -> list[str]:
    """The reasons a template gives, with every computed part (the quoted cell, a date, an analyte,
    a count) replaced by `1`; a bare reference-table column gives each of its texts."""
    if re.fullmatch(r"c\.r_\w+", reason_sql.strip()):
        return _reference_texts(extra, reason_sql.strip())
    parts = []
    for part in reason_sql.split("||"):
        part = part.strip()
        m = re.fullmatch(r"'((?:[^']|'')*)'", part)
        parts.append(m.group(1).replace("''", "'") if m else "1")
    return ["".join(parts)]


def _templates() -> list[tuple[str, str]]:
    out = []
    for t in schema.EXTRACT_TABLES:
        cols, res = normalise.table_sql(t)
        extra = res.join("") if res else ""
        for c in cols:
            out += [(f"{t.name}.{c.name}", e) for _, r in c.checks for e in _examples(r, extra)]
        for extract_date in (dt.date(2025, 6, 30), None):
            out += [(f"{t.name}.{c} (late)", e) for c, _, r in load.late_checks(t, extract_date, dt.date(2025, 7, 1))
                    for e in _examples(r, "")]
    return out


@pytest.mark.parametrize("where,example", _templates())
def test_every_reason_template_has_a_category(where, example):
    assert reasons.category(example) != reasons.OTHER, f"{where}: no category for {example!r}"


def test_row_level_reasons_have_a_category():
    assert reasons.category("exact duplicate of row 17") == "duplicate"
    assert reasons.category("patient_id: 2 different rows for one patient in the file (rows 3, 9)") == "key_conflict"
    # the one reason the OMOP reader quarantines with itself (pipeline/omop/translate.py)
    assert reasons.category("operator_concept_id: not a known comparison operator concept") == "unknown_code"


def test_sql_and_python_classify_alike():
    examples = [e for _, e in _templates()] + ["exact duplicate of row 17", "anything else", None]
    con = duckdb.connect()
    reasons.install(con)
    got = con.execute("SELECT list_transform(?::VARCHAR[], lambda r: aos_release_reason(r))", [examples]).fetchone()[0]
    assert got == [reasons.category(e) for e in examples]


def test_every_category_has_a_display_text():
    for lang in ("sv", "en"):
        msg = Messages(lang)
        for code in [c for c, _ in reasons.CATEGORIES] + [reasons.OTHER]:
            assert msg("q_" + code)
