"""Issue 9, finding 2: quarantine reasons leave the database only as categories. Every reason
template of ingest has a category (a new template without one fails here, by name)."""
from __future__ import annotations

import datetime as dt
import re

import duckdb
import pytest

from pipeline import reasons, schema
from pipeline.ingest import load, normalise
from pipeline.report.messages import Messages


def _templates() -> list[tuple[str, str]]:
    out = []
    for t in schema.EXTRACT_TABLES:
        for c in normalise.table_sql(t)[0]:
            out += [(f"{t.name}.{c.name}", r) for _, r in c.checks]
        for extract_date in (dt.date(2025, 6, 30), None):
            out += [(f"{t.name}.{c} (late)", r) for c, _, r in load.late_checks(t, extract_date, dt.date(2025, 7, 1))]
    return out


def _example(reason_sql: str) -> str:
    """The reason a template gives, with every computed part (the quoted cell, a date, an analyte,
    a count) replaced by `1`."""
    parts = []
    for part in reason_sql.split("||"):
        part = part.strip()
        m = re.fullmatch(r"'((?:[^']|'')*)'", part)
        parts.append(m.group(1).replace("''", "'") if m else "1")
    return "".join(parts)


@pytest.mark.parametrize("where,reason_sql", _templates())
def test_every_reason_template_has_a_category(where, reason_sql):
    example = _example(reason_sql)
    assert reasons.category(example) != reasons.OTHER, f"{where}: no category for {example!r}"


def test_row_level_reasons_have_a_category():
    assert reasons.category("exact duplicate of row 17") == "duplicate"
    assert reasons.category("patient_id: 2 different rows for one patient in the file (rows 3, 9)") == "key_conflict"


def test_sql_and_python_classify_alike():
    examples = [_example(r) for _, r in _templates()] + ["exact duplicate of row 17", "anything else", None]
    con = duckdb.connect()
    reasons.install(con)
    got = con.execute("SELECT list_transform(?::VARCHAR[], lambda r: aos_reason_category(r))", [examples]).fetchone()[0]
    assert got == [reasons.category(e) for e in examples]


def test_every_category_has_a_display_text():
    for lang in ("sv", "en"):
        msg = Messages(lang)
        for code in [c for c, _ in reasons.CATEGORIES] + [reasons.OTHER]:
            assert msg("q_" + code)
