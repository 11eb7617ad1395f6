"""A small canonical extract and its OMOP translation give identical cohort outputs for one month.

The converter (convert.py) writes the canonical tables (as loaded from the extract) in OMOP CDM form.
One deliberate difference in content: OMOP has no cancer register, so cancer comes from recorded
C00-C97 diagnoses; the extract's primary-care C-code diagnoses are therefore left out of both
sides (they would become cancer outcomes in OMOP), and its register rows become conditions.
"""
from __future__ import annotations

import shutil

import duckdb
import pytest

from pipeline import cli

from .convert import to_omop

MONTH = "2024-09"


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("equiv")
    src = tmp / "extract"
    assert cli.main(["synth", "--patients", "1500", "--from", "2023-01", "--to", "2024-12", "--seed", "7",
                     "--out", str(src)]) == 0
    shutil.rmtree(src / "truth", ignore_errors=True)
    path = src / "diagnoses.parquet"
    duckdb.execute(f"COPY (SELECT * FROM '{path}' WHERE NOT regexp_matches(icd10, '^C')) "
                   f"TO '{tmp / 'd.parquet'}' (FORMAT parquet)")
    (tmp / "d.parquet").replace(path)
    return src


def cohort_files(out) -> dict[str, bytes]:
    return {n: (out / "sensitive" / n).read_bytes() for n in ("review_list.csv", "criteria.csv")}


def test_canonical_and_omop_translation_give_the_same_cohort(extract, tmp_path):
    a, b = tmp_path / "canonical.duckdb", tmp_path / "omop.duckdb"
    assert cli.main(["run", str(extract), "--db", str(a), "--month", MONTH, "--out", str(tmp_path / "oa"),
                     "--no-report", "--quiet"]) == 0
    to_omop(a, tmp_path / "omop")
    shutil.copy(extract / "extract.toml", tmp_path / "omop" / "extract.toml")
    assert cli.main(["run", "--omop", str(tmp_path / "omop"), "--db", str(b), "--month", MONTH,
                     "--out", str(tmp_path / "ob"), "--no-report", "--quiet"]) == 0
    got, want = cohort_files(tmp_path / "ob"), cohort_files(tmp_path / "oa")
    assert want["review_list.csv"].count(b"\n") > 3  # the month has patients to review
    assert got == want
