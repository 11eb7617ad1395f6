"""Pathway quality (SPEC §6.3-6.4), referral within 90 days and missed opportunities, on a
few literal patients."""
from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest

from pipeline.report import config
from pipeline.report.build import compute

from .minidb import minidb

D = date
MONTH = D(2025, 3, 1)
ANALYTES = [a for t in config.load().panel for a in t["analytes"]
            if a not in ("egfr", "calcium_ionized", "u_protein_electrophoresis")]


def _labs(pid: str, start: date, days_before: int, skip=(), extra=()) -> list[dict]:
    names = [a for a in ANALYTES if a not in skip] + list(extra)
    return [{"patient_id": pid, "sample_date": start - timedelta(days=days_before), "analyte": a,
             "value": 1.0, "unit": "x"} for a in names]


def _tables(tmp_path) -> dict[str, pd.DataFrame]:
    starts = {  # patient: (sex, start, closing date or None)
        "M1": ("M", D(2025, 1, 10), D(2025, 2, 1)),   # closed on day 22: in target
        "M2": ("M", D(2025, 1, 10), D(2025, 2, 2)),   # day 23: not in target
        "F1": ("F", D(2025, 1, 10), None),            # open, 22 days passed: judged, not in target
        "F2": ("F", D(2025, 3, 20), None),            # open, too recent to judge
        "F3": ("F", D(2025, 3, 5), D(2025, 3, 15)),   # day 10
    }
    refs, labs = [], []
    for pid, (_, start, end) in starts.items():
        refs.append({"patient_id": pid, "event_date": start, "pathway": "AOS", "event": "start"})
        if end:
            refs.append({"patient_id": pid, "event_date": end, "pathway": "AOS", "event": "end_dismissed"})
    labs += _labs("M1", D(2025, 1, 10), 30)                                   # complete, day -30
    labs += _labs("M2", D(2025, 1, 10), 0, skip=("psa",))                     # man without PSA
    labs += _labs("F1", D(2025, 1, 10), 0, skip=("psa", "free_light_chains"),
                  extra=("u_protein_electrophoresis",))                      # FLC or U-electrophoresis
    labs += _labs("F2", D(2025, 3, 20), 31, skip=("psa",))                    # all 31 days old
    labs += _labs("F3", D(2025, 3, 5), 2, skip=("psa", "creatinine"), extra=("egfr",))
    months = [D(2024, 12, 1), D(2025, 1, 1), D(2025, 2, 1), MONTH]
    pats = list(starts) + ["L1", "L2", "L3"]
    rows = {
        "patients": [{"patient_id": p, "birth_year": 1950, "sex": starts.get(p, ("F",))[0], "care_unit_id": "U1"}
                     for p in pats],
        "eligible_adults": [{"month": m, "patient_id": p, "care_unit_id": "U1"} for m in months for p in pats],
        "referrals": refs + [{"patient_id": "L2", "event_date": D(2025, 1, 20), "pathway": "COLORECTAL",
                              "event": "start"}],
        "lab_results": labs,
        # L1 listed Dec (T = 31 Dec), cancer 10 Feb, never referred -> missed, 41 days;
        # L2 listed Dec, referred (another pathway) 20 Jan -> not missed; L3 listed after diagnosis
        "review_list": [{"month": D(2024, 12, 1), "care_unit_id": "U1", "patient_id": p, "new_episode": True}
                        for p in ("L1", "L2")] + [{"month": MONTH, "care_unit_id": "U1", "patient_id": "L3",
                                                   "new_episode": True}],
        "cancer_diagnoses": [{"patient_id": p, "diagnosis_date": D(2025, 2, 10), "icd10": "C189"}
                             for p in ("L1", "L2", "L3")],
        "cohort_runs": [{"month": m, "rules_version": "v", "rules_hash": "h"} for m in months],
        "extract_meta": [{"extract_id": "x", "extract_dir": "x", "extract_date": D(2025, 4, 5),
                          "data_complete_until": D(2025, 3, 31), "cancer_register_complete_until": D(2025, 3, 31),
                          "ingested_at": "2025-04-05 00:00:00"}],
    }
    db = minidb(tmp_path / "p.duckdb", rows)
    con = duckdb.connect(str(db), read_only=True)
    try:
        return compute(con, db, MONTH, suppression=False)[1]
    finally:
        con.close()


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    return _tables(tmp_path_factory.mktemp("pathway"))


def _measure(tables, measure, month, group="ALL"):
    m = tables["measures"]
    r = m[(m.measure == measure) & (m.month == month) & (m.group == group)]
    assert len(r) == 1, (measure, month, group)
    return r.iloc[0]


def test_lead_time_22_days_is_in_target_23_is_not(tables):
    r = _measure(tables, "closed_within_target_share", "2025-01")
    assert (r.numerator, r.denominator) == (1, 3)  # M1 in target; M2 late; F1 open but judged
    assert _measure(tables, "median_days_to_close", "2025-01").ratio == 22.5


def test_a_recent_open_start_is_not_judged(tables):
    r = _measure(tables, "closed_within_target_share", "2025-03")
    assert (r.numerator, r.denominator) == (1, 1)  # F3 closed on day 10; F2 not yet judged


def test_panel_completeness_rules(tables):
    jan = _measure(tables, "panel_complete_share", "2025-01")
    assert (jan.numerator, jan.denominator) == (2, 3)  # M1 (day -30), F1 (U-electrophoresis); not M2 (PSA)
    mar = _measure(tables, "panel_complete_share", "2025-03")
    assert (mar.numerator, mar.denominator) == (1, 2)  # F3 (eGFR for creatinine); not F2 (31 days old)
    m = tables["measures"]
    missing = m[m.measure == "panel_test_missing_share"].set_index("group")
    assert missing.loc["psa", "numerator"] == 1 and missing.loc["psa", "denominator"] == 2  # men only
    assert missing.loc["hb", "numerator"] == 1 and missing.loc["hb", "denominator"] == 5


def test_missed_opportunities(tables):
    mo = tables["missed_opportunities"].set_index("item")["value"]
    assert mo["cancers"] == 3 and mo["on_list_before"] == 2 and mo["never_referred"] == 1
    assert mo["median_lead_days"] == (D(2025, 2, 10) - D(2024, 12, 31)).days
    assert mo["lead_0_90"] == 1
