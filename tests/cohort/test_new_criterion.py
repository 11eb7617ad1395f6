"""A criterion of an existing kind added only in a rules file (issue 10 "Done when"): crp_high,
kind lab_above, reaches criteria_met, the review list, the features table, the attrition and
the report of `aos run --rules FILE` on the bundled sample."""
import csv

import duckdb
import pytest

from pipeline import cli
from pipeline.cohort.rules import DEFAULT_RULES
from pipeline.paths import SAMPLE_DIR

CRP = """
[criteria.crp_high]
kind = "lab_above"
name_sv = "förhöjt CRP"
name_en = "raised CRP"
description_en = "New raised CRP: max CRP in R > 50 mg/L, none above 50 in B"
description_sv = "Nytillkommet förhöjt CRP"
rationale = "Test criterion."
source = "tests/cohort/test_new_criterion.py"
inputs = ["lab_results"]
analyte = "crp"
label = "CRP"
above = 50.0
unit = "mg/L"
authored_by = "test"
authored = 2026-11-27
reviewed_by = "test"
reviewed = 2026-11-27
"""
MONTH = "2025-12"


def run(tmp_path, name, extra=""):
    rules = tmp_path / f"{name}.toml"
    rules.write_text(DEFAULT_RULES.read_text(encoding="utf-8") + extra, encoding="utf-8")
    out, db = tmp_path / name, tmp_path / f"{name}.duckdb"
    assert cli.main(["run", str(SAMPLE_DIR), "--month", MONTH, "--db", str(db), "--out", str(out),
                     "--rules", str(rules), "-q"]) == 0
    return out, duckdb.connect(str(db), read_only=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("crp")
    return run(tmp, "shipped"), run(tmp, "crp", CRP)


def test_new_lab_criterion_reaches_every_output(runs):
    (_, base), (out, con) = runs
    met = con.execute("SELECT patient_id, value, threshold, unit, evidence FROM criteria_met "
                      "WHERE criterion = 'crp_high'").fetchall()
    assert met and all(v > 50 and t == 50 and u == "mg/L" and e.startswith("CRP ")
                       for _, v, t, u, e in met)
    with open(out / "sensitive" / "criteria.csv", encoding="utf-8") as f:
        assert sum(r["criterion"] == "crp_high" for r in csv.DictReader(f)) == len(met)
    listed = con.execute("SELECT count(*) FROM review_list WHERE criteria LIKE '%crp_high%'").fetchone()[0]
    assert listed > 0
    # features: one flag per criterion, true exactly for the met ones; the analyte's R max
    flags, top = con.execute("SELECT count_if(crp_high), min(crp_max_r) FILTER (WHERE crp_high) "
                             "FROM patient_month_features").fetchone()
    assert flags == len(met) and top > 50
    # the other criteria are untouched; patients with crp_high as their second criterion join
    # the list, and the attrition's last step says so
    q = "SELECT * FROM criteria_met WHERE criterion <> 'crp_high' ORDER BY ALL"
    assert con.execute(q).fetchall() == base.execute(q).fetchall()
    n_list = [c.execute("SELECT count(*) FROM review_list").fetchone()[0] for c in (base, con)]
    last = "SELECT n_after FROM attrition WHERE care_unit_id = 'ALL' ORDER BY step_no DESC LIMIT 1"
    assert [c.execute(last).fetchone()[0] for c in (base, con)] == n_list
    assert n_list[1] > n_list[0]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "förhöjt CRP" in report  # shown by its Swedish name from the test rules file
    shipped = (runs[0][0] / "report.html").read_text(encoding="utf-8")
    assert "crp_high" not in shipped and "förhöjt CRP" not in shipped
