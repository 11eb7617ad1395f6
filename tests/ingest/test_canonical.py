"""The hand-made canonical extract (tests/fixtures/ingest/canonical): every table, clean rows
and deliberate problems. Expected values follow from SPEC §1 and the fixture's comments."""
import csv
import datetime as dt

import duckdb
import pytest

from pipeline.ingest import extract_meta, present_tables

from .conftest import CANONICAL, ingest, rows


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    db = tmp_path_factory.mktemp("canonical") / "aos.duckdb"
    summary = ingest(CANONICAL, db)
    return summary, db


def quarantined(db, table):
    return {r[0]: (r[1], r[2]) for r in rows(
        db, "SELECT source_row, column_name, reason FROM quarantine WHERE table_name = ?", [table])}


def data_rows(path):
    with path.open(encoding="utf-8", newline="") as f:
        return sum(1 for _ in csv.reader(f)) - 1


def test_every_file_reconciles(loaded):
    summary, db = loaded
    for f in summary.files:
        assert f.rows_read == data_rows(CANONICAL / f.source_file)
        assert f.rows_read == f.rows_loaded + f.rows_already_present + f.rows_quarantined
        assert rows(db, f"SELECT count(*) FROM {f.table}")[0][0] == f.rows_loaded
        assert len(quarantined(db, f.table)) == f.rows_quarantined
    stored = rows(db, "SELECT table_name, rows_read, rows_loaded, rows_already_present, rows_quarantined "
                      "FROM ingest_files")
    assert sorted(stored) == sorted((f.table, f.rows_read, f.rows_loaded, f.rows_already_present,
                                     f.rows_quarantined) for f in summary.files)


def test_patients(loaded):
    _, db = loaded
    got = {r[0]: r[1:] for r in rows(db, "SELECT patient_id, birth_year, sex, death_date FROM patients")}
    assert got == {
        "A001": (1950, "F", None), "A002": (1961, "M", None),
        "A003": (1975, "F", dt.date(2025, 5, 1)), "A004": (2010, "F", None), "A005": (1944, "M", None),
        "B003": (1950, None, None)}  # sex X: kept with sex unknown (SPEC §1 v1.1)
    q = quarantined(db, "patients")
    assert q[6] == ("birth_year", "birth_year: '1899' is before 1900")
    assert q[7][0] == "birth_year" and "after the extract year 2025" in q[7][1]
    assert 8 not in q
    # two different rows for B004: both quarantined, the id is not echoed
    assert q[9][0] == q[10][0] == "patient_id" and "rows 9, 10" in q[9][1] and "B004" not in q[9][1]
    assert q[11] == (None, "exact duplicate of row 5")
    assert q[12][0] == "listed_to"


def test_contacts(loaded):
    _, db = loaded
    assert sorted(rows(db, "SELECT patient_id, contact_date FROM contacts")) == [
        ("A001", dt.date(2025, 1, 10)), ("A001", dt.date(2025, 2, 12)), ("A002", dt.date(2025, 3, 3))]
    q = quarantined(db, "contacts")
    assert q[3] == ("contact_date", "contact_date: '2025-02-30' is not a valid date (YYYY-MM-DD or YYYYMMDD)")
    assert q[4][0] == "contact_date" and "after the extract date 2025-06-30" in q[4][1]
    assert q[6] == ("patient_id", "patient_id: not in patients (absent there, or its row was quarantined)")
    assert q[7] == (None, "exact duplicate of row 1")
    assert q[8] == ("patient_id", "patient_id: not in patients (absent there, or its row was quarantined)")  # its patient rows conflicted
    assert q[9] == ("patient_id", "patient_id: missing value")
    assert q[10][0] == "contact_date" and "before 1900" in q[10][1]


def test_lab_values_units_and_analytes(loaded):
    _, db = loaded
    got = {(r[0], r[1]): r[2:] for r in rows(
        db, "SELECT analyte, unit_reported, value, unit, value_qualifier FROM lab_results")}
    assert got[("alp", "U/L")] == (1.9, "µkat/L", None)  # 114 / 60, exactly
    assert got[("hb", "g/dL")] == (115.0, "g/L", None)  # "11,5" x 10
    assert got[("platelets", "10⁹/L")] == (455.0, "10^9/L", None)  # NPU03568
    assert got[("wbc", "10E9/L")] == (7.2, "10^9/L", None)
    assert got[("crp", "mg/L")] == (5.0, "mg/L", "<")
    assert got[("esr", "mm/h")] == (100.0, "mm/h", ">")
    assert got[("calcium", "mg/dL")] == (2.495, "mmol/L", None)
    assert got[("ferritin", "ng/mL")] == (25.0, "µg/L", None)
    assert got[("creatinine", "mg/dL")] == (88.4, "µmol/L", None)
    assert got[("hb", "mmol/L")] == (128.88, "g/L", None)  # NPU02319: 8 x 16.11
    assert got[("albumin", "g/dL")] == (35.0, "g/L", None)
    # presence-only analytes: text value -> NULL, unit as given; numeric kept as given
    assert got[("urine_dipstick", None)] == (None, "", None)
    assert got[("glucose", "mmol/L")] == (5.4, "mmol/L", None)
    # unknown analyte: loaded as given and counted
    assert got[("vitamin_x", "nmol/L")] == (12.0, "nmol/L", None)
    ref = rows(db, "SELECT ref_low, ref_high FROM lab_results WHERE analyte = 'alp'")
    assert ref == [(round(35 / 60, 6), 1.75)]
    q = quarantined(db, "lab_results")
    assert q[13] == ("unit", "unit: 'mg/L' is not a known unit for hb")  # known analyte, unknown unit
    assert q[14] == ("value", "value: 'abc' is not a number")
    assert q[15] == ("value", "value: missing value")
    assert q[21] == ("unit", "unit: missing value for hb")


def test_unknown_analytes_are_reported(loaded):
    summary, _ = loaded
    assert summary.file("lab_results").unknown_analytes == {"vitamin_x": 1}
    assert "vitamin_x" in summary.format()


def test_codes_and_other_tables(loaded):
    _, db = loaded
    assert sorted(rows(db, "SELECT atc_code, ddd FROM prescriptions"), key=repr) == sorted(
        [("N02AX02", 30.0), ("A02BC01", 14.0), ("J01CA04", None)], key=repr)
    assert quarantined(db, "prescriptions")[2] == (None, "exact duplicate of row 1")  # n02ax02 = N02AX02
    assert sorted(r[0] for r in rows(db, "SELECT icd10 FROM diagnoses")) == ["R50", "R531", "R634"]
    assert rows(db, "SELECT icd10 FROM cancer_diagnoses") == [("C187",)]
    assert sorted(rows(db, "SELECT kind, value, unit FROM observations")) == sorted([
        ("weight", 72.5, "kg"), ("weight", 70.0, "kg"), ("height", 168.0, "cm"),
        ("temperature", 38.2, "C"), ("weight", round(160 * 0.45359237, 6), "kg")])
    assert sorted(rows(db, "SELECT pathway, event FROM referrals")) == sorted([
        ("AOS", "start"), ("AOS", "end_cancer"), ("AOS", "start"), ("AOS", "end_dismissed"),
        ("AOS", "end_not_met")])
    assert quarantined(db, "referrals")[5][0] == "event"


def test_meta_and_present_tables(loaded):
    summary, db = loaded
    with duckdb.connect(str(db), read_only=True) as con:
        meta = extract_meta(con)
        assert present_tables(con) == {f.table for f in summary.files}
    assert meta["region"] == "Testregion"
    assert meta["extract_date"] == dt.date(2025, 6, 30)
    assert meta["cancer_register_complete_until"] == dt.date(2025, 3, 31)
    assert meta["derived_fields"] == []
