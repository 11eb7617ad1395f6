"""`aos ingest` through pipeline.cli.main: exit codes 0/1/2, messages, file-level refusals."""
import shutil

import pytest

import pipeline.cli as cli
from pipeline.errors import DataRefused

from .conftest import CANONICAL, ingest, rows


@pytest.fixture(autouse=True)
def only_ingest(monkeypatch):
    # other subcommands are built by other modules; this test exercises `ingest` alone
    monkeypatch.setattr(cli, "COMMANDS", ("ingest",))


def test_exit_0_and_summary(tmp_path, capsys):
    db = tmp_path / "aos.duckdb"
    assert cli.main(["ingest", str(CANONICAL), "--db", str(db)]) == 0
    out, err = capsys.readouterr()
    assert "lab_results.csv" in out and "quarantined" in out and "extract_date: 2025-06-30" in out
    assert "reading lab_results.csv" in err  # progress goes to stderr
    assert cli.main(["ingest", str(CANONICAL), "--db", str(db), "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")


def test_exit_1_when_data_refused(tmp_path, capsys):
    dst = tmp_path / "x"
    shutil.copytree(CANONICAL, dst)
    (dst / "contacts.csv").unlink()
    assert cli.main(["ingest", str(dst), "--db", str(tmp_path / "a.duckdb")]) == 1
    err = capsys.readouterr().err
    assert "required table contacts is missing" in err
    assert not (tmp_path / "a.duckdb").exists()


@pytest.mark.parametrize("argv,needle", [
    (["ingest", "/nonexistent/extract"], "no such directory"),
    (["ingest", str(CANONICAL), "--mapping", "/nonexistent.toml"], "file not found"),
])
def test_exit_2_on_bad_usage(tmp_path, capsys, argv, needle):
    assert cli.main([*argv, "--db", str(tmp_path / "a.duckdb")]) == 2
    assert needle in capsys.readouterr().err


def test_db_that_is_not_duckdb_is_usage_error(tmp_path, capsys):
    bad = tmp_path / "notes.duckdb"
    bad.write_text("not a database")
    assert cli.main(["ingest", str(CANONICAL), "--db", str(bad)]) == 2
    assert "cannot open the database" in capsys.readouterr().err
    assert bad.read_text() == "not a database"


def test_bad_mapping_is_usage_error(tmp_path, capsys):
    m = tmp_path / "m.toml"
    m.write_text('[tables.lab_results.columns]\nresultat = "valeur"\n')
    assert cli.main(["ingest", str(CANONICAL), "--db", str(tmp_path / "a.duckdb"), "--mapping", str(m)]) == 2
    assert "unknown column 'valeur'" in capsys.readouterr().err


def test_help_is_clear(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["ingest", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for needle in ("EXTRACT_DIR", "--db", "--mapping", "--quiet", "extract.toml", "quarantine", "exit codes"):
        assert needle in out


def extract_with(tmp_path, name, data: bytes):
    dst = tmp_path / "x"
    shutil.copytree(CANONICAL, dst)
    (dst / name).write_bytes(data)
    return dst


@pytest.mark.parametrize("name,data,needle", [
    ("contacts.csv", b"patient_id,contact_date\nA001,2025-01-10\nA001,2025-01-11,extra,fields\n",
     "contacts.csv: line 3 has 4 fields, expected 2 (1 line is ragged)"),
    ("contacts.csv", b"", "contacts.csv: empty file"),
    ("contacts.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "contacts.csv: not a text (CSV) file"),
    ("contacts.csv", b"patient_id,date\nA001,2025-01-10\n", "contacts.csv: required column contact_date is missing"),
    ("patients.csv", b"patient_id,sex,care_unit_id\nA001,F,u\n", "birth_year (or birth_date) is missing"),
    ("contacts.csv", b"patient_id,contact_date,Contact_Date\nA001,2025-01-10,x\n", "appears more than once"),
])
def test_file_level_refusals(tmp_path, name, data, needle):
    dst = extract_with(tmp_path, name, data)
    with pytest.raises(DataRefused, match=needle.replace("(", r"\(").replace(")", r"\)")):
        ingest(dst, tmp_path / "a.duckdb")


def test_unreadable_parquet_is_refused(tmp_path):
    dst = extract_with(tmp_path, "care_units.parquet", b"PAR1 not really parquet")
    (dst / "care_units.csv").unlink()
    with pytest.raises(DataRefused, match="care_units.parquet: unreadable Parquet file"):
        ingest(dst, tmp_path / "a.duckdb")


def test_table_given_twice_is_refused(tmp_path):
    dst = extract_with(tmp_path, "care_units.csv.gz", b"")
    with pytest.raises(DataRefused, match="table care_units is given twice"):
        ingest(dst, tmp_path / "a.duckdb")


def test_header_names_match_case_insensitively(tmp_path):
    dst = tmp_path / "x"
    shutil.copytree(CANONICAL, dst)
    p = dst / "contacts.csv"
    lines = p.read_text(encoding="utf-8").splitlines()
    p.write_text("\n".join([lines[0].upper(), *lines[1:]]) + "\n", encoding="utf-8")
    s = ingest(dst, tmp_path / "a.duckdb")
    assert s.file("contacts").rows_loaded == 3
    assert rows(tmp_path / "a.duckdb", "SELECT count(*) FROM contacts")[0][0] == 3
