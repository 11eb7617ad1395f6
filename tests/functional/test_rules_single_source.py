"""The rules file is the one clinical source: a changed cancer definition or threshold in a copy
of it (`aos run --rules FILE`, `aos evaluate --rules FILE`) changes the cohort, the report and
the evaluation together; report.toml and evaluate.toml restate no clinical definition."""
import csv
import json
import tomllib

import pytest

from pipeline import cli
from pipeline.cohort.rules import DEFAULT_RULES, SECTIONS, load_rules
from pipeline.paths import DATA_DIR

RUN = ["--month", "2024-01", "--to", "2025-12", "--quiet", "--lang", "en"]


def _rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    out = tmp_path_factory.mktemp("single") / "demo"
    assert cli.main(["demo", "--out", str(out), "--quiet", "--lang", "en"]) == 0
    return out / "aos.duckdb"


def _outcome(db, tmp, name, text=None):
    """Run the cohort + report and the back-test with the rules `text` (None: shipped)."""
    rules = []
    if text is not None:
        (tmp / f"{name}.toml").write_text(text, encoding="utf-8")
        rules = ["--rules", str(tmp / f"{name}.toml")]
    out, ev = tmp / f"run_{name}", tmp / f"ev_{name}"
    assert cli.main(["run", "--db", str(db), "--out", str(out), *RUN, *rules]) == 0
    assert cli.main(["evaluate", "--db", str(db), "--from", "2024-01", "--to", "2024-12",
                     "--no-model", "--quiet", "--out", str(ev), *rules]) == 0
    att = [r for r in _rows(out / "releasable" / "attrition.csv")
           if r["month"] == "2025-06" and r["care_unit_id"] == "ALL"]
    missed = {r["item"]: float(r["value"] or 0) for r in _rows(out / "releasable" / "missed_opportunities.csv")}
    bt = {r["rule_id"]: r for r in _rows(ev / "backtest.csv")}
    return {
        "known_cancer_excluded": sum(int(r["n_excluded"]) for r in att if "cancer" in r["step"]),
        "review_rows": len(_rows(out / "sensitive" / "review_list.csv")),
        "report_cancers": missed["cancers"],
        "report_on_list": sum(int(r["n"] or 0) for r in _rows(out / "releasable" / "yield.csv")
                              if r["group_type"] == "region"),
        "evaluate_cancers": int(float(bt["min_criteria:1"]["n_cancers"])),
        "evaluate_settings": json.loads((ev / "evaluate_manifest.json").read_text())["settings"],
    }


@pytest.fixture(scope="module")
def outcomes(demo_db, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rules")
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    assert 'icd10_except = ["C44"]' in text and "min_criteria = 2 " in text
    return {
        "shipped": _outcome(demo_db, tmp, "shipped"),
        # lower case on purpose: the rules loader normalises it for every module alike
        "no_breast": _outcome(demo_db, tmp, "no_breast",
                              text.replace('icd10_except = ["C44"]', 'icd10_except = ["c44", "c50"]')),
        "three": _outcome(demo_db, tmp, "three", text.replace("min_criteria = 2 ", "min_criteria = 3 ")),
    }


def test_cancer_exclusion_list_changes_cohort_report_and_evaluate(outcomes):
    a, b = outcomes["shipped"], outcomes["no_breast"]
    assert b["known_cancer_excluded"] < a["known_cancer_excluded"]  # cohort: fewer known cancers
    assert b["report_cancers"] < a["report_cancers"]  # report: fewer cancers counted
    assert b["evaluate_cancers"] < a["evaluate_cancers"]  # evaluate: fewer outcomes
    assert b["evaluate_settings"]["cancer"]["icd10_except"] == ["C44", "C50"]


def test_threshold_changes_cohort_report_and_evaluate(outcomes):
    a, b = outcomes["shipped"], outcomes["three"]
    assert b["review_rows"] < a["review_rows"]  # cohort: a stricter review rule
    assert b["report_on_list"] < a["report_on_list"]  # report: fewer patients followed up
    assert a["evaluate_settings"]["review_min_criteria"] == 2
    assert b["evaluate_settings"]["review_min_criteria"] == 3  # evaluate compares the rule in use
    assert b["known_cancer_excluded"] == a["known_cancer_excluded"]  # the cancer definition held


def _keys(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from _keys(v, f"{prefix}{k}.")
        else:
            yield prefix + k, k


def test_report_and_evaluate_settings_restate_no_clinical_definition():
    rules = load_rules()
    clinical = {k for s in (*SECTIONS, "cancer", "yield") for k in rules.data[s]} - {"rationale", "source"}
    clinical |= {k for c in rules.criteria.values() for k in c
                 if k not in {"rationale", "source", "authored_by", "authored", "reviewed_by",
                              "reviewed", "description_en", "description_sv", "inputs"}}
    for path in (DATA_DIR / "report" / "report.toml", DATA_DIR / "evaluate.toml"):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for full, key in _keys(data):
            assert key not in clinical, f"{path.name}: {full} restates the rules file's {key}"
            assert "icd10" not in key and "cancer" not in full.split(".")[0], \
                f"{path.name}: {full} restates the cancer definition"
