"""The OMOP reader on the hand-written fixture (tests/omop/fixture.py): each SPEC §8 mapping row,
censored values, unit conversions, concept-table and source-value paths, unmapped rows and
reconciliation."""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from . import fixture as fx
from .conftest import assert_reconciles, ingest, rows, write_omop

D = dt.date


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("omop")
    write_omop(tmp / "src", fx.TABLES)
    path = tmp / "aos.duckdb"
    ingest(tmp / "src", path)
    return path


def by_row(db, table: str, source_file: str) -> dict[int, tuple]:
    return {r[0]: r[1:] for r in rows(db, "SELECT source_row, column_name, reason FROM quarantine "
                                          "WHERE table_name = ? AND source_file = ?", [table, source_file])}


def test_patients_from_person_observation_period_and_death(db):
    got = {r[0]: r[1:] for r in rows(db, "SELECT patient_id, birth_year, sex, care_unit_id, listed_from, "
                                         "listed_to, death_date FROM patients")}
    assert got == {
        "1": (1950, "F", "10", D(2015, 1, 1), D(2024, 12, 31), None),
        "2": (1960, "M", "unknown", None, None, D(2024, 3, 15)),
        "3": (1970, "F", "10", None, None, None),  # its only period has an invalid date
    }


def test_contacts_from_visits(db):
    got = sorted(rows(db, "SELECT patient_id, contact_date, contact_type, care_unit_id FROM contacts"))
    assert got == [("1", D(2024, 3, 1), "visit", "10"), ("1", D(2024, 3, 5), "digital", "10"),
                   ("2", D(2024, 3, 7), None, None)]
    q = by_row(db, "contacts", "visit_occurrence.csv")
    assert list(q) == [4] and q[4][0] == "patient_id"


def test_diagnoses_source_value_and_concept_paths(db):
    got = sorted(rows(db, "SELECT patient_id, diagnosis_date, icd10 FROM diagnoses"))
    assert got == [("1", D(2024, 2, 1), "R538"), ("1", D(2024, 2, 3), "R509"),
                   ("2", D(2024, 1, 10), "C341"), ("2", D(2024, 1, 11), "D509"),
                   ("3", D(2024, 1, 13), "C97"), ("3", D(2024, 1, 14), "D039"),
                   ("3", D(2024, 3, 2), "R634")]  # the last from the observation table
    assert sorted(rows(db, "SELECT patient_id, icd10 FROM cancer_diagnoses")) == [("2", "C341"), ("3", "C97")]
    files = dict(rows(db, "SELECT source_file, rows_read FROM ingest_files WHERE table_name = 'diagnoses'"))
    assert files == {"condition_occurrence.csv": 6, "observation.csv": 1}


def test_prescriptions_atc_from_source_value_or_most_specific_ancestor(db):
    assert sorted(rows(db, "SELECT prescribed_date, atc_code FROM prescriptions")) == [
        (D(2024, 3, 1), "N02BE01"), (D(2024, 3, 2), "N02BE01")]


def test_lab_results_conversions_and_censoring(db):
    got = {(r[0], r[1], r[2]): r[3:] for r in rows(
        db, "SELECT patient_id, analyte, sample_date, value, unit, value_qualifier FROM lab_results")}
    assert got[("1", "hb", D(2024, 3, 1))] == (125.0, "g/L", None)
    assert got[("1", "alp", D(2024, 3, 1))] == (1.9, "µkat/L", None)  # operator '=' is a plain value
    assert got[("1", "calcium", D(2024, 3, 1))] == (pytest.approx(10.4 * 0.2495), "mmol/L", None)
    assert got[("1", "platelets", D(2024, 3, 1))] == (450.0, "10^9/L", None)
    assert got[("1", "wbc", D(2024, 3, 1))] == (7.1, "10^9/L", None)
    assert got[("1", "creatinine", D(2024, 3, 1))] == (88.4, "µmol/L", None)
    assert got[("1", "crp", D(2024, 3, 1))] == (5.0, "mg/L", "<")
    assert got[("1", "crp", D(2024, 3, 2))] == (100.0, "mg/L", ">")
    assert got[("1", "albumin", D(2024, 3, 3))] == (41.0, "g/L", "<")  # <= is judged by its number
    assert got[("1", "esr", D(2024, 3, 1))] == (30.0, "mm/h", None)
    assert got[("3", "ferritin", D(2024, 3, 1))] == (25.0, "µg/L", None)
    assert got[("2", "hb", D(2024, 3, 1))] == (130.0, "g/L", None)  # LOINC and unit from concept
    assert got[("1", "glucose", D(2024, 3, 1))][0] is None  # presence only
    assert rows(db, "SELECT ref_low, ref_high FROM lab_results WHERE analyte = 'hb' AND patient_id = '1'") == [
        (120.0, 160.0)]


def test_unmapped_lab_rows_are_quarantined_with_reason(db):
    q = by_row(db, "lab_results", "measurement.csv")
    assert set(q) == {9, 10}
    assert q[9][0] == "operator_concept_id"
    assert q[10][0] == "unit" and "not a known unit for hb" in q[10][1]


def test_weights_from_measurement_and_observation(db):
    got = sorted(rows(db, "SELECT patient_id, obs_date, kind, value, unit FROM observations"))
    assert got == [("1", D(2024, 3, 1), "weight", round(176.5 * 0.45359237, 6), "kg"),
                   ("3", D(2024, 3, 2), "weight", 70.0, "kg")]


def test_referrals_kva_codes_and_pathway_modifier(db):
    got = sorted(rows(db, "SELECT patient_id, event_date, pathway, event FROM referrals"))
    assert got == [("1", D(2024, 3, 10), "AOS", "start"), ("1", D(2024, 3, 20), "UNKNOWN", "end_cancer")]


def test_care_units_from_care_site(db):
    assert rows(db, "SELECT care_unit_id, name FROM care_units") == [("10", "VC Tio")]


def test_every_omop_table_reconciles_with_reasons(db):
    rec = assert_reconciles(db)
    expected_read = {name: len(t[1]) for name, t in fx.TABLES.items() if not name.startswith("concept")}
    assert {t: d["read"] for t, d in rec.items()} == expected_read
    reasons = {(t, r): n for t, r, n in rows(db, "SELECT source_table, reason, rows FROM omop_reconciliation "
                                                 "WHERE outcome = 'not_used'")}
    assert reasons[("condition_occurrence", "source concept of vocabulary SNOMED, not ICD-10")] == 1
    assert reasons[("condition_occurrence", "source concept of vocabulary ICD9CM, not ICD-10")] == 1
    assert reasons[("condition_occurrence", "source value is not an ICD-10 code")] == 1
    assert reasons[("measurement", "not a LOINC code")] == 1
    assert reasons[("observation_period", "person_id not in person")] == 1
    assert reasons[("death", "person_id not in person")] == 1
    assert sum(n for (t, _), n in reasons.items() if t == "procedure_occurrence") == 1
    assert rec["observation_period"]["feeds"] == 2 and rec["death"]["feeds"] == 1


def test_dates_derived_from_the_data_and_cancer_outcome_declared(db):
    (ed, crcu, derived), = rows(db, "SELECT extract_date, cancer_register_complete_until, derived_fields "
                                    "FROM extract_meta")
    assert ed == D(2024, 3, 20) and crcu == ed  # the last date with data
    assert "cancer_register_complete_until" in derived
    (src,), = rows(db, "SELECT cancer_source FROM omop_extracts")
    assert "C00-C97" in src and "not a cancer register" in src


def test_no_vocabulary_falls_back_to_source_values(tmp_path):
    tables = {k: v for k, v in fx.TABLES.items() if not k.startswith("concept")}
    write_omop(tmp_path / "src", tables)
    db = tmp_path / "aos.duckdb"
    ingest(tmp_path / "src", db)
    # concept-path rows: R50.9 and the RxNorm drug are gone (not used), the LOINC-by-concept hb too
    assert ("1", "R509") not in rows(db, "SELECT patient_id, icd10 FROM diagnoses")
    assert rows(db, "SELECT count(*) FROM prescriptions") == [(1,)]
    reasons = dict(rows(db, "SELECT reason, rows FROM omop_reconciliation WHERE source_table = 'drug_exposure' "
                            "AND outcome = 'not_used'"))
    assert any("has no ATC vocabulary" in r for r in reasons)
    # without the concept table the ICD-9 source value 1629 is not ICD-10 shaped: still not used
    assert ("2", "1629") not in rows(db, "SELECT patient_id, icd10 FROM diagnoses")
    assert_reconciles(db)


def test_report_notes_say_where_cancer_comes_from_and_why_aos_measures_are_missing(db):
    import tomllib

    from pipeline.omop.ingest import report_notes
    from pipeline.paths import DATA_DIR
    with duckdb.connect(str(db), read_only=True) as con:
        notes = report_notes(con)
    assert notes == ["note_omop_cancer", "note_omop_pathway_unknown"]  # VP872 without a pathway
    for lang in ("en", "sv"):
        messages = tomllib.loads((DATA_DIR / "messages" / f"{lang}.toml").read_text(encoding="utf-8"))
        assert all(messages.get(n) for n in notes)
