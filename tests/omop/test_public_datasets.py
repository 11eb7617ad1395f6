"""The whole product on the two public OMOP datasets in shared/external (skipped when absent):
ingest exit 0, every OMOP table reconciles, patients = rows of person; `aos run --omop` works,
says where the cancer outcome comes from, and exports the review cohort as OMOP."""
from __future__ import annotations

import csv
import json

import duckdb
import pytest

from pipeline import cli

from .conftest import assert_reconciles, rows


def person_rows(folder) -> int:
    path = next(p for p in folder.iterdir() if p.name.lower() == "person.csv")
    return duckdb.sql(f"SELECT count(*) FROM read_csv('{path}', all_varchar = true)").fetchall()[0][0]


@pytest.mark.parametrize("dataset, n_person", [("eunomia", 28), ("mimic", 100)])
def test_ingest_reconciles(dataset, n_person, request, tmp_path):
    src = request.getfixturevalue(f"{dataset}_dir")
    db = tmp_path / "aos.duckdb"
    assert cli.main(["ingest", "--omop", str(src), "--db", str(db), "--quiet"]) == 0
    assert person_rows(src) == n_person
    assert rows(db, "SELECT count(*) FROM patients") == [(n_person,)]
    rec = assert_reconciles(db)
    assert rec["person"] == {"read": n_person, "loaded": n_person, "already": 0, "quarantined": 0}
    assert {"person", "visit_occurrence", "condition_occurrence", "drug_exposure"} <= set(rec)


def test_eunomia_labs_and_weights_in_canonical_units(eunomia_dir, tmp_path):
    db = tmp_path / "aos.duckdb"
    assert cli.main(["ingest", "--omop", str(eunomia_dir), "--db", str(db), "--quiet"]) == 0
    units = dict(rows(db, "SELECT analyte, any_value(unit) FROM lab_results WHERE analyte IN "
                          "('hb', 'alp', 'calcium', 'platelets', 'creatinine') GROUP BY 1"))
    assert units == {"hb": "g/L", "alp": "µkat/L", "calcium": "mmol/L", "platelets": "10^9/L",
                     "creatinine": "µmol/L"}
    # Hb is reported in g/dL: every stored value is 10 x the reported one
    assert rows(db, "SELECT count(*) FROM lab_results WHERE analyte = 'hb' AND "
                    "abs(value - 10 * CAST(value_text AS DOUBLE)) > 1e-9") == [(0,)]
    assert rows(db, "SELECT count(DISTINCT patient_id) FROM observations WHERE kind = 'weight'") == [(28,)]
    # RxNorm without ATC in the vocabulary: no prescriptions table, so drug_rise is not evaluable
    assert rows(db, "SELECT count(*) FROM ingest_files WHERE table_name = 'prescriptions'") == [(0,)]


def test_run_on_mimic_date_shifted_with_cohort_export(mimic_dir, tmp_path):
    db, out, coh = tmp_path / "aos.duckdb", tmp_path / "out", tmp_path / "cohort"
    assert cli.main(["run", "--omop", str(mimic_dir), "--month", "2150-06", "--db", str(db),
                     "--out", str(out), "--quiet", "--lang", "en", "--omop-cohort-out", str(coh)]) == 0
    manifest = json.loads((out / "run_manifest.json").read_text())
    assert "not a cancer register" in manifest["extract"]["cancer_outcome_source"]
    assert "alp_high" in manifest["not_evaluable"]  # no measurement table in this copy
    assert "recorded ICD-10 diagnoses" in (out / "report.html").read_text(encoding="utf-8")
    with (coh / "cohort_definition.csv").open() as f:
        (definition,) = list(csv.DictReader(f))
    assert manifest["rules"]["version"] in definition["cohort_definition_name"]
    with (coh / "cohort.csv").open() as f:
        header = next(csv.reader(f))
    assert header == ["cohort_definition_id", "subject_id", "cohort_start_date", "cohort_end_date"]


def test_run_on_eunomia_exports_the_review_episodes(eunomia_dir, tmp_path):
    db, out, coh = tmp_path / "aos.duckdb", tmp_path / "out", tmp_path / "cohort"
    assert cli.main(["run", "--omop", str(eunomia_dir), "--month", "2015-04", "--to", "2019-12",
                     "--db", str(db), "--out", str(out), "--quiet", "--no-report",
                     "--omop-cohort-out", str(coh)]) == 0
    new = rows(db, "SELECT CAST(patient_id AS BIGINT), CAST(month + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE) "
                   "FROM review_list WHERE new_episode ORDER BY 2, 1")
    assert new  # Eunomia has review episodes in these months
    with (coh / "cohort.csv").open() as f:
        got = [(int(r["subject_id"]), r["cohort_start_date"]) for r in csv.DictReader(f)]
    assert got == [(p, d.isoformat()) for p, d in new]
