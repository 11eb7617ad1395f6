"""SPEC v1.1 §1 / §1.1: unknown sex kept, impossible values quarantined (reason names the limit,
never the value), 10³/µL spellings for platelets and white cells."""
import pytest

from pipeline.ingest import reference

from .conftest import ingest, rows
from .v11 import write_extract


def reasons(db, table):
    return dict(rows(db, "SELECT source_row, reason FROM quarantine WHERE table_name = ?", [table]))


def test_impossible_lab_values_are_quarantined_naming_the_limit(tmp_path):
    labs = ("patient_id,sample_date,analyte,value,unit\n"
            "p1,2025-01-10,hb,-132,g/L\n"        # 1 negative Hb
            "p1,2025-01-11,hb,\"0,99\",g/dL\n"   # 2 9.9 g/L
            "p1,2025-01-12,hb,1,g/dL\n"          # 3 10 g/L: the limit itself is possible
            "p1,2025-01-13,hb,31,g/dL\n"         # 4 310 g/L
            "p1,2025-01-14,alp,<0.01,µkat/L\n"   # 5 censored: judged by its number
            "p1,2025-01-15,alp,12000,U/L\n"      # 6 200 µkat/L exactly: possible
            "p1,2025-01-16,alp,12001,U/L\n"      # 7 above 200 µkat/L after conversion
            "p1,2025-01-17,crp,-1,mg/L\n"        # 8
            "p1,2025-01-18,esr,0,mm/h\n"         # 9 possible
            "p1,2025-01-19,glucose,-3,mmol/L\n"  # 10 presence-only: kept as given
            "p1,2025-01-20,ferritin,100001,ng/mL\n")  # 11
    x = write_extract(tmp_path / "x", lab_results=labs)
    db = tmp_path / "a.duckdb"
    s = ingest(x, db, accept_quarantine=["lab_results.csv"])  # 7 of 11: refused otherwise
    assert reasons(db, "lab_results") == {
        1: "impossible value: hb below 10 g/L", 2: "impossible value: hb below 10 g/L",
        4: "impossible value: hb above 300 g/L", 5: "impossible value: alp below 0.05 µkat/L",
        7: "impossible value: alp above 200 µkat/L", 8: "impossible value: crp below 0 mg/L",
        11: "impossible value: ferritin above 100000 µg/L"}
    assert rows(db, "SELECT DISTINCT column_name FROM quarantine") == [("value",)]
    assert sorted(rows(db, "SELECT analyte, value FROM lab_results")) == [
        ("alp", 200.0), ("esr", 0.0), ("glucose", -3.0), ("hb", 10.0)]
    f = s.file("lab_results")
    assert f.rows_read == 11 and f.reconciles


def test_impossible_observations(tmp_path):
    obs = ("patient_id,obs_date,kind,value,unit\n"
           "p1,2025-01-10,weight,0.5,kg\n"     # 1
           "p1,2025-01-11,weight,400000,g\n"   # 2 400 kg: possible
           "p1,2025-01-12,weight,900,lb\n"     # 3 408 kg
           "p1,2025-01-13,height,-170,cm\n"    # 4 no limits row: negative is impossible
           "p1,2025-01-14,weight,70,kg\n")
    x = write_extract(tmp_path / "x", observations=obs)
    db = tmp_path / "a.duckdb"
    s = ingest(x, db, accept_quarantine=["observations.csv"])  # 3 of 5
    assert reasons(db, "observations") == {1: "impossible value: weight below 1 kg",
                                           3: "impossible value: weight above 400 kg",
                                           4: "impossible value: height is negative"}
    assert sorted(rows(db, "SELECT value FROM observations")) == [(70.0,), (400.0,)]
    assert s.file("observations").reconciles


@pytest.mark.parametrize("unit", ["10*3/uL", "10^3/uL", "K/uL", "10³/µL", "x10^3/uL", "10E3/uL", "x 10³/µl"])
def test_thousand_per_microlitre_for_platelets_and_wbc(tmp_path, unit):
    labs = ("patient_id,sample_date,analyte,value,unit\n"
            f"p1,2025-01-10,platelets,450,{unit}\np1,2025-01-10,wbc,\"7,2\",{unit}\n")
    db = tmp_path / "a.duckdb"
    ingest(write_extract(tmp_path / "x", lab_results=labs), db)
    assert sorted(rows(db, "SELECT analyte, value, unit FROM lab_results")) == [
        ("platelets", 450.0, "10^9/L"), ("wbc", 7.2, "10^9/L")]


def test_thousand_per_microlitre_is_not_accepted_for_other_analytes(tmp_path):
    labs = "patient_id,sample_date,analyte,value,unit\np1,2025-01-10,hb,130,10^3/uL\n"
    db = tmp_path / "a.duckdb"
    ingest(write_extract(tmp_path / "x", lab_results=labs), db, accept_quarantine=["lab_results.csv"])
    assert reasons(db, "lab_results") == {1: "unit: '10^3/uL' is not a known unit for hb"}


def test_unknown_sex_is_kept_and_counted(tmp_path):
    patients = ("patient_id,birth_year,sex,care_unit_id\n"
                "p1,1950,F,u\np2,1960,X,u\np3,1960,,u\np4,1960,3,u\np5,1960,okänt,u\np6,1960,2,u\n")
    contacts = "patient_id,contact_date\n" + "".join(f"p{i},2025-01-10\n" for i in range(1, 7))
    db = tmp_path / "a.duckdb"
    s = ingest(write_extract(tmp_path / "x", patients=patients, contacts=contacts), db)
    assert sorted(rows(db, "SELECT patient_id, sex FROM patients")) == [
        ("p1", "F"), ("p2", None), ("p3", None), ("p4", None), ("p5", None), ("p6", "F")]
    assert rows(db, "SELECT count(*) FROM quarantine") == [(0,)]
    assert rows(db, "SELECT count(*) FROM contacts") == [(6,)]  # their events are kept too
    assert s.file("patients").unknown_sex == 4
    assert "4 with sex unknown" in s.format()


def test_limits_are_data_in_the_canonical_unit():
    canonical = {r["analyte"]: r["canonical_unit"] for r in reference.units_rows() if r["unit"]}
    limits = reference.limits_rows()
    assert {r["analyte"] for r in limits} == {  # SPEC §1.1 (v1.1) table
        "hb", "alp", "calcium", "calcium_ionized", "albumin", "esr", "crp", "platelets", "wbc",
        "ferritin", "creatinine", "weight"}
    for r in limits:
        assert r["unit"] == canonical[r["analyte"]] and r["source"], r
        assert 0 <= float(r["lowest"]) < float(r["highest"]), r


def test_a_database_from_before_v11_accepts_unknown_sex(tmp_path):
    """Databases created before SPEC v1.1 declared patients.sex NOT NULL; ingest lifts it."""
    import duckdb

    from pipeline import schema
    db = tmp_path / "a.duckdb"
    with duckdb.connect(str(db)) as con:
        old = schema.ddl(schema.table("patients")).replace("sex VARCHAR", "sex VARCHAR NOT NULL")
        assert "sex VARCHAR NOT NULL" in old
        con.execute(old)
    patients = "patient_id,birth_year,sex,care_unit_id\np1,1950,F,u\np2,1960,,u\n"
    ingest(write_extract(tmp_path / "x", patients=patients), db)
    assert sorted(rows(db, "SELECT patient_id, sex FROM patients")) == [("p1", "F"), ("p2", None)]
