"""`aos demo` end to end on the bundled sample: outputs exist, and the headline numbers match
a snapshot (change on purpose only: AOS_UPDATE_SNAPSHOTS=1 rewrites it)."""
import json
import os
from pathlib import Path

import pytest

from pipeline import cli
from tests.report.test_outputs import headline

SNAPSHOT = Path(__file__).parent / "snapshots" / "demo_headline.json"


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    assert cli.main(["demo", "--sample", "--out", str(out), "--quiet", "--lang", "en"]) == 0
    return out


def test_demo_writes_every_output(demo_out):
    for rel in ("report.html", "report.xlsx", "run_manifest.json", "sensitive/review_list.csv",
                "sensitive/criteria.csv", "releasable/attrition.csv", "releasable/measures.csv",
                "releasable/yield.csv", "aos.duckdb"):
        assert (demo_out / rel).is_file(), rel
    manifest = json.loads((demo_out / "run_manifest.json").read_text())
    assert manifest["months"][0] == "2023-01" and manifest["months"][-1] == "2025-12"
    assert manifest["not_evaluable"] == []


def test_demo_headline_snapshot(demo_out):
    got = headline(demo_out, "2025-12")
    assert got["listed_adults:numerator"], "listed adults must be shown"
    if os.environ.get("AOS_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert SNAPSHOT.exists(), f"{SNAPSHOT} missing: run with AOS_UPDATE_SNAPSHOTS=1 to create it"
    assert got == json.loads(SNAPSHOT.read_text(encoding="utf-8"))
