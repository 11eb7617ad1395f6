"""`aos check EXTRACT_DIR`: reports what `aos ingest` would load, quarantine or refuse and which
criteria would not be evaluable, without writing a database file."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb

from pipeline import cli
from pipeline.cohort.rules import load_rules

REPO = Path(__file__).resolve().parents[2]
CANONICAL = REPO / "tests" / "fixtures" / "ingest" / "canonical"


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _check(tmp_path, monkeypatch, extract: Path, *extra: str) -> int:
    monkeypatch.chdir(tmp_path)  # a stray database file would land here
    before = _files(tmp_path)
    rc = cli.main(["check", str(extract), *extra])
    assert _files(tmp_path) == before, "aos check wrote a file"
    return rc


def test_reports_what_ingest_would_load_and_quarantine(tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    work.mkdir()
    assert _check(work, monkeypatch, CANONICAL) == 0
    out = capsys.readouterr().out

    db = tmp_path / "real.duckdb"  # the real ingest, for comparison
    assert cli.main(["ingest", str(CANONICAL), "--db", str(db), "-q"]) == 0
    con = duckdb.connect(str(db), read_only=True)
    files = con.execute("SELECT table_name, rows_read, rows_loaded, rows_quarantined FROM ingest_files").fetchall()
    by_column = con.execute("SELECT table_name, coalesce(column_name, '(whole row)'), count(*) "
                            "FROM quarantine GROUP BY ALL").fetchall()
    reasons = [r for (r,) in con.execute("SELECT reason FROM quarantine").fetchall()]
    con.close()

    assert any(q for *_, q in files), "the fixture must quarantine rows"
    for table, read, loaded, quarantined in files:
        assert re.search(rf"^{table}\s+\S+\s+.*\s{read:,}\s+{loaded:,}\s+0\s+{quarantined:,}\b", out, re.M), table
    shown = {}
    for t, c, n in re.findall(r"^  (\w+)\.([\w()\s]+?): .*: ([\d,]+)$", out, re.M):
        shown[(t, c)] = shown.get((t, c), 0) + int(n.replace(",", ""))
    assert shown == {(t, c): n for t, c, n in by_column}
    values = {v for r in reasons for v in re.findall(r"'([^']+)'", r)}
    assert values and not [v for v in values if f"'{v}'" in out], "a cell value was printed"
    assert "every criterion is evaluable" in out and "would load" in out


def test_names_criteria_that_would_not_be_evaluable(tmp_path, monkeypatch, capsys):
    extract = tmp_path / "x"
    shutil.copytree(CANONICAL, extract)
    gone = {"prescriptions", "observations"}
    for t in gone:
        (extract / f"{t}.csv").unlink()
    assert _check(tmp_path, monkeypatch, extract) == 0
    out = capsys.readouterr().out
    expected = {cid for cid, c in load_rules().criteria.items() if set(c["inputs"]) <= gone}
    assert expected, "the rules must have a criterion on these tables"
    assert set(re.findall(r"not evaluable: (\w+)", out)) == expected


def test_a_refused_extract_is_exit_1_naming_the_file(tmp_path, monkeypatch, capsys):
    extract = tmp_path / "x"
    shutil.copytree(CANONICAL, extract)
    (extract / "contacts.csv").unlink()
    assert _check(tmp_path, monkeypatch, extract) == 1
    err = capsys.readouterr().err
    assert "would be refused" in err and "required table contacts is missing" in err


def test_no_such_directory_is_bad_usage(tmp_path, monkeypatch, capsys):
    assert _check(tmp_path, monkeypatch, tmp_path / "nope") == 2
    assert "no such directory" in capsys.readouterr().err
