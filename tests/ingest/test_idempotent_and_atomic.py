"""Idempotency, the newer-extract rule and atomicity (SPEC §1, §7)."""
import shutil

import duckdb
import pytest

from pipeline.errors import DataRefused
from pipeline.ingest import load

from .conftest import CANONICAL, canonical_content, ingest, rows, snapshot


def test_same_extract_twice_changes_nothing(tmp_path):
    db = tmp_path / "aos.duckdb"
    first = ingest(CANONICAL, db)
    before = snapshot(db)
    again = ingest(CANONICAL, db)
    assert again.skipped_all and all(f.skipped for f in again.files)
    assert again.extract_id == first.extract_id
    assert snapshot(db) == before
    assert "already ingested" in again.format()


def test_same_files_in_new_directory_are_skipped_by_hash(tmp_path):
    db = tmp_path / "aos.duckdb"
    ingest(CANONICAL, db)
    before = canonical_content(db)
    copy = tmp_path / "copy"
    shutil.copytree(CANONICAL, copy)
    (copy / "extract.toml").write_text('region = "Testregion"\nextract_date = 2025-06-30\n')
    summary = ingest(copy, db)
    assert all(f.skipped for f in summary.files)
    assert canonical_content(db) == before


def write(path, text):
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def two_extracts(tmp_path):
    """January extract, and a February extract that repeats January's rows and adds new ones."""
    jan, feb = tmp_path / "jan", tmp_path / "feb"
    for d in (jan, feb):
        d.mkdir()
    write(jan / "patients.csv", "patient_id,birth_year,sex,care_unit_id,death_date\np1,1950,F,u1,\np2,1960,M,u1,\n")
    write(jan / "contacts.csv", "patient_id,contact_date\np1,2025-01-05\np2,2025-01-06\n")
    write(jan / "lab_results.csv", "patient_id,sample_date,analyte,value,unit\np1,2025-01-05,hb,120,g/L\n")
    # February: p1 died (update), p3 new; January rows again plus new ones; one new duplicate
    write(feb / "patients.csv", "patient_id,birth_year,sex,care_unit_id,death_date\n"
          "p1,1950,F,u1,2025-02-20\np2,1960,M,u1,\np3,1970,F,u2,\n")
    write(feb / "contacts.csv", "patient_id,contact_date\np1,2025-01-05\np2,2025-01-06\n"
          "p3,2025-02-01\np3,2025-02-01\np2,20250106\n")
    write(feb / "lab_results.csv", "patient_id,sample_date,analyte,value,unit\n"
          "p1,2025-01-05,hb,120,g/L\np3,2025-02-01,hb,110,g/L\n")
    return jan, feb


def test_newer_extract_adds_what_is_new(tmp_path, two_extracts):
    jan, feb = two_extracts
    write(feb / "extract.toml", "extract_date = 2025-02-28\n")
    db = tmp_path / "aos.duckdb"
    ingest(jan, db)
    s = ingest(feb, db)
    pat, con_, lab = s.file("patients"), s.file("contacts"), s.file("lab_results")
    assert (pat.rows_loaded, pat.rows_already_present, pat.rows_quarantined) == (2, 1, 0)  # p1 updated, p3 new
    # contacts: 2 from January already present (one written as YYYYMMDD: same canonical content
    # as row 2, so a duplicate within the file), p3 new, its repeat a duplicate
    assert (con_.rows_loaded, con_.rows_already_present, con_.rows_quarantined) == (1, 2, 2)
    assert (lab.rows_loaded, lab.rows_already_present) == (1, 1)
    assert rows(db, "SELECT death_date FROM patients WHERE patient_id = 'p1'")[0][0].isoformat() == "2025-02-20"
    assert rows(db, "SELECT count(*) FROM contacts")[0][0] == 3
    assert rows(db, "SELECT count(*) FROM lab_results")[0][0] == 2
    assert rows(db, "SELECT count(DISTINCT extract_id) FROM ingest_files")[0][0] == 2
    # quarantine rows are kept per extract and file
    assert rows(db, "SELECT count(*) FROM quarantine WHERE extract_id = ?", [s.extract_id])[0][0] == 2


def test_refused_ingest_leaves_existing_database_unchanged(tmp_path, two_extracts):
    jan, feb = two_extracts
    db = tmp_path / "aos.duckdb"
    ingest(jan, db)
    before = snapshot(db)
    write(feb / "lab_results.csv", "patient_id,sample_date,analyte,value\np1,2025-01-05,hb,120\n")  # no unit column
    with pytest.raises(DataRefused, match="lab_results.csv: required column unit is missing"):
        ingest(feb, db)
    assert snapshot(db) == before


def test_crash_mid_ingest_rolls_everything_back(tmp_path, two_extracts, monkeypatch):
    """A failure after some tables were loaded (patients upserted, contacts inserted) leaves the
    database exactly as it was."""
    jan, feb = two_extracts
    db = tmp_path / "aos.duckdb"
    ingest(jan, db)
    before = snapshot(db)
    real = load.finalise
    loaded = []

    def flaky(con, t, *args, **kw):
        if t.name == "lab_results":
            assert rows_in(con, "contacts") > 2  # contacts of February were already inserted
            raise RuntimeError("simulated crash")
        real(con, t, *args, **kw)
        loaded.append(t.name)

    monkeypatch.setattr(load, "finalise", flaky)
    with pytest.raises(RuntimeError, match="simulated crash"):
        ingest(feb, db)
    assert loaded == ["patients", "contacts"]
    assert snapshot(db) == before
    monkeypatch.undo()
    summary = ingest(feb, db)  # and the same extract then loads normally
    assert summary.file("lab_results").rows_loaded == 1


def rows_in(con, table):
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_crash_into_new_database_leaves_no_file(tmp_path, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(load, "finalise", boom)
    db = tmp_path / "new.duckdb"
    with pytest.raises(RuntimeError):
        ingest(CANONICAL, db)
    assert not db.exists() and not (tmp_path / "new.duckdb.wal").exists()


def test_derived_dates(tmp_path, two_extracts):
    _, feb = two_extracts
    write(feb / "cancer_diagnoses.csv", "patient_id,diagnosis_date,icd10\np3,2025-01-20,C18.7\n")
    db = tmp_path / "aos.duckdb"
    s = ingest(feb, db, accept_quarantine=["lab_results.csv"])  # p1 quarantined: 1 of its 2 rows
    # latest event date is 2025-02-01 (contacts, labs); the last complete month ends 2025-01-31
    assert s.meta["extract_date"].isoformat() == "2025-02-01"
    assert s.meta["data_complete_until"].isoformat() == "2025-01-31"
    assert s.meta["cancer_register_complete_until"].isoformat() == "2025-01-20"
    assert s.meta["derived_fields"] == ["extract_date", "data_complete_until", "cancer_register_complete_until"]
    with duckdb.connect(str(db), read_only=True) as con:
        from pipeline.ingest import extract_meta
        assert extract_meta(con)["derived_fields"] == s.meta["derived_fields"]
    # p1 died 2025-02-20, after the derived extract date: quarantined, and so are p1's events
    assert rows(db, "SELECT column_name FROM quarantine WHERE table_name = 'patients'") == [("death_date",)]
