"""Issue 9 findings 3 and 9: what used to end in a traceback with exit 1, or commit a failed
run, now exits 2 (bad usage) or 1 (data refused) with one line and changes nothing."""
from __future__ import annotations

import csv
import shutil

import pytest

from pipeline import cli
from pipeline.cohort.rules import DEFAULT_RULES

from .conftest import FIXTURE, MONTH
from .state import assert_one_run, db_state, no_staging, tree


def _one_line_error(capsys, command: str) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert err.startswith(f"aos {command}: error: ") and len(err.splitlines()) == 1, err
    return err


def _listed_since_2010(tmp_path):
    """The fixture with every patient listed from 2010: nobody is listed in 1999."""
    dest = tmp_path / "listed"
    shutil.copytree(FIXTURE, dest)
    with open(dest / "patients.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    with open(dest / "patients.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows({**r, "listed_from": r["listed_from"] or "2010-01-01"} for r in rows)
    return dest


def test_failed_run_on_existing_database_adds_no_cohort_row(tmp_path, capsys):
    """Finding 3: `aos run --db DB --month 1999-01` exited 1 yet committed a cohort_runs row."""
    db, out = tmp_path / "aos.duckdb", tmp_path / "out"
    assert cli.main(["run", str(_listed_since_2010(tmp_path)), "--db", str(db), "--month", MONTH,
                     "--out", str(out), "--quiet", "--no-report"]) == 0
    before_db, before_out = db_state(db), tree(out)
    assert cli.main(["run", "--db", str(db), "--month", "1999-01", "--out", str(out),
                     "--quiet"]) in (1, 2)
    _one_line_error(capsys, "run")
    assert db_state(db) == before_db
    assert tree(out) == before_out
    no_staging(out)


@pytest.mark.parametrize("month", ["0000-01", "9999-12"])
def test_month_outside_the_calendar_is_usage_error(copy_of, capsys, month):
    db, out = copy_of
    for argv in (["run", "--db", str(db), "--month", month, "--out", str(out)],
                 ["report", "--db", str(db), "--month", month, "--out", str(out)]):
        assert cli.main(argv) == 2
        assert "year must be" in _one_line_error(capsys, argv[0])


@pytest.mark.parametrize("edit", [
    ("rise_factor = 2.0", "rise_factor = nan"),
    ("rise_factor = 2.0", "rise_factor = inf"),
    ("recent_months = 3", "recent_months = 300000"),
])
def test_rules_with_non_finite_or_huge_numbers_are_usage_errors(copy_of, tmp_path, capsys, edit):
    db, out = copy_of
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    assert edit[0] in text
    rules = tmp_path / "rules.toml"
    rules.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    before = db_state(db)
    assert cli.main(["run", "--db", str(db), "--month", MONTH, "--out", str(out),
                     "--rules", str(rules)]) == 2
    assert "rules file" in _one_line_error(capsys, "run")
    assert db_state(db) == before


@pytest.mark.parametrize("command", ["run", "report", "ingest"])
def test_a_file_that_is_not_duckdb_is_usage_error(tmp_path, capsys, command):
    bad = tmp_path / "notes.duckdb"
    bad.write_text("not a database\n" * 100)
    argv = {"run": ["run", "--month", MONTH, "--out", str(tmp_path / "o")],
            "report": ["report", "--month", MONTH, "--out", str(tmp_path / "o")],
            "ingest": ["ingest", str(FIXTURE)]}[command]
    assert cli.main([*argv, "--db", str(bad)]) == 2
    assert "not a DuckDB database" in _one_line_error(capsys, command)
    assert bad.read_text() == "not a database\n" * 100


def test_a_database_of_another_layout_is_usage_error(tmp_path, capsys):
    import duckdb
    old = tmp_path / "old.duckdb"
    con = duckdb.connect(str(old))
    con.execute("CREATE TABLE patients (patient_id VARCHAR, born INTEGER)")
    con.close()
    before = db_state(old)
    for argv in (["run", str(FIXTURE), "--month", MONTH, "--out", str(tmp_path / "o")],
                 ["report", "--month", MONTH, "--out", str(tmp_path / "o")]):
        assert cli.main([*argv, "--db", str(old)]) == 2
        assert "lacks column" in _one_line_error(capsys, argv[0])
    assert db_state(old) == before


def test_outputs_of_an_older_version_are_migrated(copy_of, capsys):
    """A pre-existing --out of plain files (older aos) keeps them, in runs/, and switches."""
    db, out = copy_of
    old = out.parent / "old_out"
    (old / "sensitive").mkdir(parents=True)
    (old / "sensitive" / "review_list.csv").write_text("month\n", encoding="utf-8")
    (old / "report.html").write_text("<p>old</p>", encoding="utf-8")
    (old / "notes.txt").write_text("mine", encoding="utf-8")
    assert cli.main(["run", "--db", str(db), "--month", MONTH, "--out", str(old), "--quiet",
                     "--no-report"]) == 0
    run = assert_one_run(old)
    assert (old / "notes.txt").read_text(encoding="utf-8") == "mine"
    legacy = [p for p in (old / "runs").iterdir() if p.name != run]
    assert [p.name for p in legacy] == ["00000000T000000-legacy"]
    assert (legacy[0] / "report.html").read_text(encoding="utf-8") == "<p>old</p>"
    assert not (old / "report.html").exists()  # --no-report: no report of another run shown
    no_staging(old)
