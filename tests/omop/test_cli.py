"""`aos ingest --omop` / `aos run --omop` options and their usage errors."""
from __future__ import annotations

import csv
import datetime as dt

import duckdb
import pytest

from pipeline import cli
from pipeline.cohort.rules import load_rules
from pipeline.errors import UsageError
from pipeline.omop.cohort_out import write_cohort
from pipeline.paths import SQL_DIR

from . import fixture as fx
from .conftest import write_omop

TABLES_SQL = (SQL_DIR / "cohort" / "tables.sql").read_text()


def test_ingest_prints_the_omop_reconciliation(tmp_path, capsys):
    write_omop(tmp_path / "src", fx.TABLES)
    assert cli.main(["ingest", "--omop", str(tmp_path / "src"), "--db", str(tmp_path / "a.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "OMOP tables" in out and "not used, by table and reason" in out
    assert "measurement: not a LOINC code: 1" in out


def test_usage_errors(tmp_path, capsys):
    write_omop(tmp_path / "src", fx.TABLES)
    db = str(tmp_path / "a.duckdb")
    assert cli.main(["ingest", "--omop-schema", "cdm", "--db", db]) == 2
    assert cli.main(["ingest", "--db", db]) == 2
    assert cli.main(["ingest", str(tmp_path / "src"), "--omop", str(tmp_path / "src"), "--db", db]) == 2
    assert cli.main(["ingest", "--omop", str(tmp_path / "nope"), "--db", db]) == 2
    assert cli.main(["run", "--month", "2024-03", "--extract-toml", "x.toml", "--db", db]) == 2
    assert not (tmp_path / "a.duckdb").exists()


def _review_db(ids_months):
    con = duckdb.connect()
    con.execute(TABLES_SQL)
    con.executemany("INSERT INTO review_list (month, patient_id, new_episode) VALUES (?, ?, ?)", ids_months)
    return con


def test_cohort_episodes_from_the_review_list(tmp_path):
    d = dt.date
    con = _review_db([(d(2024, 1, 1), "7", True), (d(2024, 2, 1), "7", False), (d(2024, 3, 1), "7", False),
                      (d(2024, 11, 1), "7", True), (d(2024, 2, 1), "-9", True), (d(2025, 1, 1), "8", True)])
    got = write_cohort(con, tmp_path / "c", load_rules(), "2024-12")
    assert got["episodes"] == 3
    with (tmp_path / "c" / "cohort.csv").open() as f:
        assert [tuple(r.values()) for r in csv.DictReader(f)] == [
            ("1", "7", "2024-01-31", "2024-03-31"), ("1", "-9", "2024-02-29", "2024-02-29"),
            ("1", "7", "2024-11-30", "2024-11-30")]  # episodes after the month are not exported


def test_cohort_export_needs_omop_person_ids(tmp_path):
    con = _review_db([(dt.date(2024, 1, 1), "P0001", True)])
    with pytest.raises(UsageError, match="person_id"):
        write_cohort(con, tmp_path / "c", load_rules(), "2024-01")
    assert not (tmp_path / "c" / "cohort.csv").exists()


def test_a_failed_omop_run_leaves_no_database(tmp_path):
    """The ingest commits before the cohort; a failure after it (here: the cohort export cannot
    write, its DIR is a file) removes the new database again and writes no outputs."""
    write_omop(tmp_path / "src", fx.TABLES)
    db, out, blocker = tmp_path / "a.duckdb", tmp_path / "out", tmp_path / "file"
    blocker.write_text("x")
    rc = cli.main(["run", "--omop", str(tmp_path / "src"), "--month", "2024-02", "--db", str(db),
                   "--out", str(out), "--quiet", "--no-report", "--omop-cohort-out", str(blocker)])
    assert rc == 3
    assert not db.exists() and not (out / "run_manifest.json").exists()
