"""The shipped OMOP mappings (pipeline/data/omop): complete for SPEC §8, sourced, and consistent
with the canonical analytes and units of SPEC §1.1."""
from __future__ import annotations

import duckdb
import pytest

from pipeline.ingest import reference
from pipeline.ingest.reference import read_data_csv

# SPEC §8, the LOINC codes the map must have
SPEC_LOINC = {"718-7": "hb", "59260-0": "hb", "20509-6": "hb", "6768-6": "alp", "17861-6": "calcium",
              "2000-8": "calcium", "1994-3": "calcium_ionized", "1751-7": "albumin", "61151-7": "albumin",
              "4537-7": "esr", "30341-2": "esr", "1988-5": "crp", "777-3": "platelets", "26515-7": "platelets",
              "6690-2": "wbc", "2276-4": "ferritin", "2160-0": "creatinine", "14682-9": "creatinine",
              "29463-7": "weight", "3141-9": "weight"}
# SPEC §6.4, the mandatory panel (canonical ids); eGFR stands in for creatinine, either FLC or U-PEP
PANEL = {"hb", "wbc", "platelets", "esr", "crp", "glucose", "sodium", "potassium", "creatinine", "calcium",
         "b12", "folate", "ferritin", "ld", "albumin", "s_protein_electrophoresis", "free_light_chains",
         "u_protein_electrophoresis", "bilirubin", "alat", "alp", "tsh", "psa", "urine_dipstick"}


@pytest.mark.parametrize("name", ["omop/loinc_analyte.csv", "omop/ucum_units.csv", "omop/omop_codes.csv"])
def test_every_row_names_its_source(name):
    data = read_data_csv(name)
    assert data and all(r["source"] for r in data)


def test_loinc_map_covers_spec_and_panel():
    data = read_data_csv("omop/loinc_analyte.csv")
    got = {r["loinc"]: r["analyte"] for r in data}
    assert len(got) == len(data)  # one analyte per code
    assert {k: got.get(k) for k in SPEC_LOINC} == SPEC_LOINC
    assert PANEL <= set(got.values())
    known = {r["analyte"] for r in reference.units_rows()}
    for r in data:
        assert r["analyte"] in known, r
        assert r["target"] == ("observations" if r["analyte"] == "weight" else "lab_results"), r


def test_ucum_targets_are_units_the_ingest_knows():
    con = duckdb.connect()
    reference.install(con)
    for r in read_data_csv("omop/ucum_units.csv"):
        n = con.execute("SELECT count(*) FROM aos_units WHERE unit_key = aos_unit_key(?)", [r["unit"]]).fetchone()[0]
        assert n > 0, f"{r['ucum']} -> {r['unit']}: no analyte has this unit in units.csv"


def test_operator_and_gender_concepts_are_those_of_spec():
    rows = read_data_csv("omop/omop_codes.csv")
    op = {r["code"]: r["value"] for r in rows if r["kind"] == "operator"}
    assert op["4171756"] == "<" and op["4172704"] == ">" and op["4171754"] == "<" and op["4171755"] == ">"
    assert op["4172703"] == ""
    assert {r["code"]: r["value"] for r in rows if r["kind"] == "gender"} == {"8532": "F", "8507": "M"}
    assert {r["code"] for r in rows if r["kind"] == "kva"} == {"VP810", "VP872", "VP878", "VP870", "VP874"}
    events = reference.codes()["referral_event"]
    assert all(r["code"].lower() in events for r in rows if r["kind"] == "kva")
