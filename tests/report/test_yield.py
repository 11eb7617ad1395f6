"""Yield (SPEC §6.2): Wilson intervals, verdicts at the band edges, window boundaries and
follow-up completeness at the edge date."""
from __future__ import annotations

import math
from datetime import date

import duckdb
import pandas as pd
import pytest

from pipeline.report import config
from pipeline.report.build import compute
from pipeline.report.yield_ import follow_up_complete, verdict, wilson, window_end

from .minidb import minidb

Z = 1.959963984540054  # standard normal 97.5 % quantile


def wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.parametrize("k,n", [(0, 10), (1, 10), (7, 40), (40, 40), (17, 100), (150, 1000)])
def test_wilson_matches_the_hand_formula(k, n):
    lo, hi = wilson(k, n)
    hlo, hhi = wilson_by_hand(k, n)
    assert lo == pytest.approx(hlo, abs=1e-9)
    assert hi == pytest.approx(hhi, abs=1e-9)
    assert 0 <= lo <= k / n <= hi <= 1


@pytest.mark.parametrize("k,n", [(0, 12), (3, 36), (21, 105), (250, 250)])
def test_wilson_matches_scipy(k, n):
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert wilson(k, n) == pytest.approx((ci.low, ci.high), abs=1e-9)


def test_wilson_textbook_value():
    # Newcombe (1998), Stat Med 17:857, table I: 81/263 -> 0.2553 to 0.3662 (Wilson)
    lo, hi = wilson(81, 263)
    assert (round(lo, 4), round(hi, 4)) == (0.2553, 0.3662)


B = dict(band_low=0.15, band_high=0.20, min_n=10)


def test_verdict_at_the_band_edges():
    assert verdict(100, 0.05, 0.1499, **B) == "below"
    assert verdict(100, 0.05, 0.15, **B) == "consistent"  # upper bound = 15 %: not below
    assert verdict(100, 0.2001, 0.30, **B) == "above"
    assert verdict(100, 0.20, 0.30, **B) == "consistent"  # lower bound = 20 %: not above
    assert verdict(9, 0.0, 0.01, **B) == "too_few"
    assert verdict(10, 0.0, 0.01, **B) == "below"


def test_window_end_dates():
    assert window_end("flag", date(2024, 7, 1), 6) == date(2025, 1, 31)
    assert window_end("flag", date(2024, 8, 1), 6) == date(2025, 2, 28)
    # pathway: the month's last start (31 Aug) + 6 calendar months = 28 Feb
    assert window_end("pathway", date(2024, 8, 1), 6) == date(2025, 2, 28)
    assert window_end("pathway", date(2024, 2, 1), 1) == date(2024, 3, 29)


def test_follow_up_complete_at_the_edge_date():
    end = date(2025, 1, 31)
    assert follow_up_complete(end, date(2025, 1, 31))
    assert not follow_up_complete(end, date(2025, 1, 30))
    assert not follow_up_complete(end, None)


def _db(tmp_path, register_complete: date):
    d = date
    pats = "ABCDEFGHIJ"
    cancers = [("A", d(2024, 7, 31), "C349"), ("B", d(2024, 8, 1), "C349"), ("C", d(2025, 1, 31), "C189"),
               ("D", d(2025, 2, 1), "C189"), ("E", d(2024, 9, 1), "C449"),
               ("G", d(2024, 8, 31), "C859"), ("H", d(2025, 2, 28), "C509"), ("I", d(2025, 3, 1), "C509"),
               ("J", d(2024, 8, 14), "C250")]
    starts = [("G", d(2024, 8, 31)), ("H", d(2024, 8, 31)), ("I", d(2024, 8, 31)), ("J", d(2024, 8, 15))]
    rows = {
        "patients": [{"patient_id": p, "birth_year": 1950, "sex": "F", "care_unit_id": "U1"} for p in pats],
        "eligible_adults": [{"month": m, "patient_id": p, "care_unit_id": "U1"}
                            for m in (d(2024, 7, 1), d(2024, 8, 1)) for p in pats],
        "review_list": [{"month": d(2024, 7, 1), "care_unit_id": "U1", "patient_id": p, "new_episode": True,
                         "n_criteria": 2, "criteria": "a;b"} for p in "ABCDEF"],
        "cancer_diagnoses": [{"patient_id": p, "diagnosis_date": x, "icd10": c} for p, x, c in cancers],
        "referrals": [{"patient_id": p, "event_date": x, "pathway": "AOS", "event": "start"} for p, x in starts],
        "cohort_runs": [{"month": d(2024, 8, 1), "rules_version": "v", "rules_hash": "h"}],
        "extract_meta": [{"extract_id": "x", "extract_dir": "x", "extract_date": d(2025, 9, 1),
                          "data_complete_until": d(2025, 8, 31), "cancer_register_complete_until": register_complete,
                          "ingested_at": "2025-09-01 00:00:00"}],
    }
    return minidb(tmp_path / "y.duckdb", rows)


def _yield(tmp_path, register_complete):
    db = _db(tmp_path, register_complete)
    con = duckdb.connect(str(db), read_only=True)
    try:
        _, tables = compute(con, db, date(2024, 8, 1), suppression=False)
    finally:
        con.close()
    y = tables["yield"]
    return y[(y.group_type == "region") & ~y.period.str.contains("/")].set_index(
        ["yield_type", "window_months", "period"])


def test_flag_and_pathway_windows_count_the_right_cancers(tmp_path):
    y = _yield(tmp_path, date(2025, 7, 31))
    # flag, cohort 2024-07 (T = 31 Jul): cancer on T not counted, 1 Aug counted, C44 never,
    # 31 Jan counted at W = 6 (last day of M + 6), 1 Feb only at W = 12
    assert y.loc[("flag", 3, "2024-07"), ["n", "cancers"]].tolist() == [6, 1]
    assert y.loc[("flag", 6, "2024-07"), ["n", "cancers"]].tolist() == [6, 2]
    assert y.loc[("flag", 12, "2024-07"), ["n", "cancers"]].tolist() == [6, 3]
    # pathway, starts in 2024-08: same-day cancer counted, start + 6 months (28 Feb) counted,
    # 1 Mar not, a cancer the day before the start not
    assert y.loc[("pathway", 6, "2024-08"), ["n", "cancers"]].tolist() == [4, 2]
    assert y.loc[("pathway", 6, "2024-08"), "verdict"] == "too_few"
    assert not y.loc[("pathway", 12, "2024-08"), "follow_up_complete"]  # ends 2025-08-31


def test_follow_up_incomplete_one_day_before_the_window_ends(tmp_path):
    y = _yield(tmp_path, date(2025, 1, 30))
    row = y.loc[("flag", 6, "2024-07")]
    assert not row.follow_up_complete
    assert row.verdict == "follow_up_incomplete"
    assert pd.isna(row.cancers)  # blank, not 0
    assert bool(y.loc[("flag", 3, "2024-07"), "follow_up_complete"])


def test_parameters_come_from_the_data_file():
    cfg = config.load()
    assert cfg.windows == (3, 6, 12) and cfg.headline_window == 6
    assert (cfg.band_low, cfg.band_high) == (0.15, 0.20)
    assert cfg.cancer_exclude == ("C44",)
