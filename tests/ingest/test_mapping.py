"""The example source mapping (examples/mappings/region_x.toml) for a differently shaped export."""
import datetime as dt
from pathlib import Path

from pipeline.ingest import load_mapping

from .conftest import ingest, rows

REPO = Path(__file__).resolve().parents[2]
EXPORT = REPO / "examples" / "exports" / "region_x"
MAPPING = REPO / "examples" / "mappings" / "region_x.toml"


def test_export_is_really_in_its_own_shape():
    raw = (EXPORT / "labb.csv").read_bytes()
    assert b";" in raw and b"provdatum" in raw and b"B-Hb" in raw
    try:
        raw.decode("utf-8")
        raise AssertionError("expected Latin-1 bytes")
    except UnicodeDecodeError:
        pass
    assert not (EXPORT / "lab_results.csv").exists()


def test_example_mapping_loads_the_export(tmp_path):
    db = tmp_path / "aos.duckdb"
    s = ingest(EXPORT, db, mapping=MAPPING)
    assert {f.table: f.source_file for f in s.files} == {
        "patients": "patienter.csv", "contacts": "kontakter.csv", "lab_results": "labb.csv"}
    assert s.rows_quarantined == 0
    assert all(f.rows_loaded == f.rows_read for f in s.files)
    assert sorted(rows(db, "SELECT patient_id, sex, care_unit_id FROM patients")) == [
        ("X-0001", "F", "VC Åby"), ("X-0002", "M", "VC Åby"), ("X-0003", "F", "VC Öster"),
        ("X-0004", "M", "VC Öster")]
    assert sorted(rows(db, "SELECT DISTINCT contact_type FROM contacts")) == [
        ("digital",), ("home",), ("phone",), ("visit",)]
    labs = {(r[0], r[1]): r[2:] for r in rows(
        db, "SELECT patient_id, analyte, value, unit, sample_date FROM lab_results")}
    assert labs[("X-0002", "alp")] == (1.9, "µkat/L", dt.date(2025, 2, 3))  # S-ALP 114 U/L
    assert labs[("X-0002", "hb")][:2] == (141.0, "g/L")  # 14,1 g/dL
    assert labs[("X-0001", "alp")][:2] == (2.4, "µkat/L")  # 2,4
    assert labs[("X-0001", "esr")][:2] == (38.0, "mm/h")  # "mm" mapped
    assert labs[("X-0003", "platelets")][:2] == (455.0, "10^9/L")
    assert labs[("X-0004", "urine_dipstick")][:2] == (None, "")


def test_without_the_mapping_the_export_is_refused(tmp_path):
    import pytest

    from pipeline.errors import DataRefused
    with pytest.raises(DataRefused, match="required table patients is missing"):
        ingest(EXPORT, tmp_path / "aos.duckdb")


def test_mapping_structure():
    m = load_mapping(MAPPING)
    assert m.file_stem("lab_results") == "labb" and m.file_stem("prescriptions") == "prescriptions"
    assert m.renames("lab_results")["provdatum"] == "sample_date"
    assert m.values("lab_results")["analyte"]["S-ALP"] == "alp"
