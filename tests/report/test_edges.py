"""Degenerate inputs: absent optional tables, a one-patient region, bad arguments."""
from __future__ import annotations

from datetime import date

import duckdb
import pytest

from pipeline.errors import UsageError
from pipeline.report import write_report

from .minidb import minidb


def test_absent_optional_tables_are_reported_not_evaluable(tmp_path):
    db = minidb(tmp_path / "e.duckdb", {
        "eligible_adults": [{"month": date(2025, 1, 1), "patient_id": "A", "care_unit_id": "U"}],
        "patients": [{"patient_id": "A", "birth_year": 1950, "sex": "F", "care_unit_id": "U"}]})
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE referrals; DROP TABLE cancer_diagnoses; DROP TABLE extract_meta; "
                "DROP TABLE ingest_files; DROP TABLE quarantine")
    con.close()
    out = tmp_path / "out"
    write_report(db, "2025-01", out, lang="en")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "no referrals table" in html and "no cancer_diagnoses table" in html
    rows = (out / "releasable" / "measures.csv").read_text(encoding="utf-8").splitlines()
    assert "listed_adults,2025-01,region,ALL,,,,true" in rows  # 1 listed adult: hidden, not 0
    assert len((out / "releasable" / "yield.csv").read_text(encoding="utf-8").splitlines()) == 1


def test_bad_language_and_month_are_usage_errors(tmp_path):
    with pytest.raises(UsageError):
        write_report(tmp_path / "x.duckdb", "2025-01", tmp_path / "o", lang="de")
    with pytest.raises(UsageError):
        write_report(tmp_path / "x.duckdb", "2025-1", tmp_path / "o")
    assert not (tmp_path / "o").exists()
