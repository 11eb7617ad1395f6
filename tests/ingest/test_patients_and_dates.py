"""birth_date -> birth_year, and the derived extract date never trusting future dates."""
import datetime as dt

from pipeline.ingest import run

from .conftest import ingest, rows


def write_extract(d, patients: str, contacts: str):
    d.mkdir()
    (d / "patients.csv").write_text(patients, encoding="utf-8")
    (d / "contacts.csv").write_text(contacts, encoding="utf-8")
    (d / "lab_results.csv").write_text("patient_id,sample_date,analyte,value,unit\n", encoding="utf-8")


def test_birth_date_gives_birth_year(tmp_path):
    write_extract(tmp_path / "x",
                  "patient_id,birth_date,birth_year,sex,care_unit_id\n"
                  "a,1950-03-04,,F,u\nb,19601231,1960,M,u\nc,1970-01-01,1971,F,u\nd,,,F,u\n"
                  "e,,19x0,F,u\nf,1950-02-30,,F,u\n",
                  "patient_id,contact_date\na,2025-01-01\n")
    db = tmp_path / "aos.duckdb"
    ingest(tmp_path / "x", db, accept_empty=["lab_results"], accept_quarantine=["patients.csv"])
    assert sorted(rows(db, "SELECT patient_id, birth_year, birth_date FROM patients")) == [
        ("a", 1950, dt.date(1950, 3, 4)), ("b", 1960, dt.date(1960, 12, 31))]
    assert sorted(rows(db, "SELECT source_row, column_name, reason FROM quarantine")) == [
        (3, "birth_year", "birth_year: '1971' disagrees with birth_date"),
        (4, "birth_year", "birth_year: missing value (and no birth_date)"),
        (5, "birth_year", "birth_year: '19x0' is not a year (YYYY)"),
        (6, "birth_date", "birth_date: '1950-02-30' is not a valid date (YYYY-MM-DD or YYYYMMDD)")]


def test_derived_extract_date_ignores_dates_after_today(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "today", lambda: dt.date(2025, 3, 15))
    write_extract(tmp_path / "x", "patient_id,birth_year,sex,care_unit_id\na,1950,F,u\n",
                  "patient_id,contact_date\na,2025-03-10\na,2030-01-01\n")
    db = tmp_path / "aos.duckdb"
    s = ingest(tmp_path / "x", db, accept_empty=["lab_results"], accept_quarantine=["contacts.csv"])
    assert s.meta["extract_date"] == dt.date(2025, 3, 10)
    assert s.meta["data_complete_until"] == dt.date(2025, 2, 28)
    assert rows(db, "SELECT source_row, reason FROM quarantine") == [
        (2, "contact_date: 2030-01-01 is after the extract date 2025-03-10")]


def test_data_complete_until_is_extract_date_on_a_month_end(tmp_path):
    write_extract(tmp_path / "x", "patient_id,birth_year,sex,care_unit_id\na,1950,F,u\n",
                  "patient_id,contact_date\na,2024-02-29\n")
    s = ingest(tmp_path / "x", tmp_path / "aos.duckdb", accept_empty=["lab_results"])
    assert s.meta["data_complete_until"] == s.meta["extract_date"] == dt.date(2024, 2, 29)
    assert s.meta["cancer_register_complete_until"] == dt.date(2024, 2, 29)  # no cancer table
