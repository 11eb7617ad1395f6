"""Back-test metrics on a constructed database with answers worked out by hand.

Timeline (evaluated months 2023-01..2023-12; 100 adults eligible every month 2022-01..2023-12;
cancer register complete until 2024-12-31, so every window is complete):

  P1  alp_high + hb_low in 2023-03 and 2023-04   cancer C18 2023-05-10
  P2  alp_high in 2023-02                        cancer C34 2023-10-15
  P3  alp_high + hb_low + esr_high in 2023-06, hb_low again in 2023-09   (no cancer)
  P4  alp_high in 2023-01 and in 2023-08 (7 months apart: two episodes)   (no cancer)
  P5  fever in 2022-12 and 2023-01 (2023-01 is not new)                   cancer C25 2023-03-01
  P6  never flagged                              cancer C50 2023-07-01
  P7  alp_high in 2023-03                        skin cancer C44 2023-04-01 (not a cancer here)
  P8  never flagged                              cancer C61 2025-06-01 (register not complete)
"""
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from statsmodels.stats.proportion import proportion_confint

from pipeline.errors import DataRefused
from pipeline.evaluate.backtest import band_answer, monotone_workload, run_backtest
from pipeline.evaluate.settings import load_settings

from .helpers import add_cancers, add_criteria, add_eligible, month, new_db

SETTINGS = load_settings()
PATIENTS = [f"P{i}" for i in range(1, 9)] + [f"F{i:02d}" for i in range(92)]


@pytest.fixture(scope="module")
def result():
    con = new_db()
    add_eligible(con, PATIENTS, "2022-01", "2023-12")
    add_criteria(con, [
        ("2023-03", "P1", "alp_high"), ("2023-03", "P1", "hb_low"),
        ("2023-04", "P1", "alp_high"), ("2023-04", "P1", "hb_low"),
        ("2023-02", "P2", "alp_high"),
        ("2023-06", "P3", "alp_high"), ("2023-06", "P3", "hb_low"), ("2023-06", "P3", "esr_high"),
        ("2023-09", "P3", "hb_low"),
        ("2023-01", "P4", "alp_high"), ("2023-08", "P4", "alp_high"),
        ("2022-12", "P5", "fever"), ("2023-01", "P5", "fever"),
        ("2023-03", "P7", "alp_high"),
    ])
    add_cancers(con, [
        ("P1", "2023-05-10", "C187"), ("P2", "2023-10-15", "C341"), ("P5", "2023-03-01", "C259"),
        ("P6", "2023-07-01", "C509"), ("P7", "2023-04-01", "C449"), ("P8", "2025-06-01", "C61"),
    ])
    bt = run_backtest(con, month("2023-01"), month("2023-12"), SETTINGS)
    return bt.table.set_index("rule_id")


def test_rules_cover_criteria_pairs_and_min_criteria(result):
    crits = ["alp_high", "esr_high", "fever", "hb_low"]
    assert {f"criterion:{c}" for c in crits} <= set(result.index)
    assert len([r for r in result.index if r.startswith("pair:")]) == 6  # 4 choose 2
    assert {f"min_criteria:{k}" for k in (1, 2, 3, 4)} <= set(result.index)


def test_episodes_and_workload_per_1000(result):
    # any criterion: P1 03, P2 02, P3 06, P4 01 + 08, P7 03 (P3 09 and P5 01 are not new)
    r = result.loc["min_criteria:1"]
    assert r["n_episodes"] == 6
    assert r["eligible_months"] == 100 * 12
    assert r["episodes_per_1000"] == pytest.approx(6 / 1200 * 1000)
    # flagged patient-months in 2023: P1 x2, P2, P3 x2, P4 x2, P5, P7 = 9
    assert r["n_flagged"] == 9
    # alp_high: P1 03, P2 02, P3 06, P4 01, P4 08, P7 03
    assert result.loc["criterion:alp_high", "n_episodes"] == 6
    # hb_low: P1 03, P3 06 (P3 09 is within 6 months of 06)
    assert result.loc["criterion:hb_low", "n_episodes"] == 2
    assert result.loc["pair:alp_high+hb_low", "n_episodes"] == 2
    assert result.loc["min_criteria:3", "n_episodes"] == 1  # P3 06
    assert result.loc["min_criteria:4", "n_episodes"] == 0


def test_ppv_by_window(result):
    r = result.loc["min_criteria:1"]
    # 3 and 6 months: only P1 (C44 of P7 is not a cancer; P2's cancer is 7.5 months later)
    assert (r["n_followed_3m"], r["n_cancer_3m"]) == (6, 1)
    assert (r["n_followed_6m"], r["n_cancer_6m"]) == (6, 1)
    # 12 months: P1 and P2
    assert (r["n_followed_12m"], r["n_cancer_12m"]) == (6, 2)
    assert r["ppv_12m"] == pytest.approx(2 / 6)
    r2 = result.loc["min_criteria:2"]  # P1 03 and P3 06
    assert (r2["n_followed_3m"], r2["n_cancer_3m"], r2["ppv_3m"]) == (2, 1, 0.5)


def test_wilson_bounds_match_statsmodels(result):
    for rule in ("min_criteria:1", "min_criteria:2", "criterion:alp_high"):
        r = result.loc[rule]
        lo, hi = proportion_confint(r["n_cancer_12m"], r["n_followed_12m"], method="wilson")
        assert r["ppv_12m_lo"] == pytest.approx(lo)
        assert r["ppv_12m_hi"] == pytest.approx(hi)
    assert np.isnan(result.loc["min_criteria:4", "ppv_12m_lo"])  # no episodes: no interval
    assert result.loc["min_criteria:1", "verdict_12m"] == "too_few"  # n < 10


def test_sensitivity_and_lead_time(result):
    # cancers 2023 (first per patient, not C44): P1, P2, P5, P6 -> 4
    r = result.loc["min_criteria:1"]
    assert r["n_cancers"] == 4
    # found: P1 (T 2023-03-31 -> 05-10: 40 d), P2 (02-28 -> 10-15: 229 d),
    #        P5 (2022-12-31 -> 2023-03-01: 60 d; the look-back reaches before the period)
    assert r["n_found"] == 3
    assert r["sensitivity"] == pytest.approx(0.75)
    assert r["lead_days_median"] == pytest.approx(60)
    assert r["lead_days_q1"] == pytest.approx(50)  # linear interpolation of 40, 60, 229
    assert r["lead_days_q3"] == pytest.approx(144.5)
    r2 = result.loc["min_criteria:2"]
    assert (r2["n_found"], r2["lead_days_median"]) == (1, 40)
    assert result.loc["criterion:fever", "n_found"] == 1


def test_flagged_workload_never_rises_with_min_criteria(result):
    assert monotone_workload(result.reset_index())
    flagged = [result.loc[f"min_criteria:{k}", "flagged_per_1000"] for k in (1, 2, 3, 4)]
    assert flagged[0] > flagged[1] > flagged[2] > flagged[3] == 0


def test_months_without_follow_up_are_not_counted():
    con = new_db(complete_until="2023-09-30")
    add_eligible(con, ["A", "B"], "2023-01", "2023-06")
    add_criteria(con, [("2023-03", "A", "fever"), ("2023-06", "B", "fever")])
    add_cancers(con, [("A", "2023-05-01", "C18")])
    bt = run_backtest(con, month("2023-01"), month("2023-06"), SETTINGS)
    r = bt.table.set_index("rule_id").loc["criterion:fever"]
    # 3 months: 03 ends 2023-06-30 (in), 06 ends 2023-09-30 (in); 6 months: only 03; 12: none
    assert (r["n_followed_3m"], r["n_followed_6m"], r["n_followed_12m"]) == (2, 1, 0)
    complete = bt.followup[bt.followup["complete"]]
    assert set(complete[complete["window_months"] == 6]["month"].dt.strftime("%Y-%m")) == {
        "2023-01", "2023-02", "2023-03"}


def test_refuses_without_cohort_rows_or_register_date():
    con = new_db()
    with pytest.raises(DataRefused, match="eligible_adults"):
        run_backtest(con, month("2023-01"), month("2023-02"), SETTINGS)
    con.execute("UPDATE extract_meta SET cancer_register_complete_until = NULL")
    with pytest.raises(DataRefused, match="cancer_register_complete_until"):
        run_backtest(con, month("2023-01"), month("2023-02"), SETTINGS)


def test_band_answer_names_the_setting_inside_the_band():
    con = new_db()
    pts = [f"Q{i:03d}" for i in range(200)]
    add_eligible(con, pts, "2023-01", "2023-03")
    # 40 patients with two criteria, 7 of them (17.5 %) get a cancer; 100 with one, 5 %
    add_criteria(con, [("2023-01", p, c) for p in pts[:40] for c in ("fever", "pain")]
                 + [("2023-01", p, "fever") for p in pts[40:140]])
    add_cancers(con, [(p, "2023-03-01", "C18") for p in pts[:7]]
                + [(p, "2023-03-01", "C18") for p in pts[40:45]])
    bt = run_backtest(con, month("2023-01"), month("2023-03"), SETTINGS)
    text = band_answer(bt.table, SETTINGS)
    assert "min_criteria = 2 (17.5 %" in text and "inside 15–20 %" in text
    assert "min_criteria = 1" not in text


def test_contiguous_runs_of_missing_months():
    from pipeline.evaluate.cohort_months import contiguous_runs
    ms = [month(m) for m in ("2023-01", "2023-02", "2023-04", "2023-05", "2023-06", "2023-09")]
    assert contiguous_runs(ms) == [(month("2023-01"), month("2023-02")),
                                   (month("2023-04"), month("2023-06")),
                                   (month("2023-09"), month("2023-09"))]


def test_band_answer_never_shows_a_suppressed_yield():
    from pipeline.evaluate.backtest import suppression_rules
    from pipeline.evaluate.disclosure import suppress

    con = new_db()
    pts = [f"S{i:03d}" for i in range(100)]
    add_eligible(con, pts, "2023-01", "2023-03")
    # 18 patients with two criteria, 3 (16.7 %, inside the band) with a cancer: a small count
    add_criteria(con, [("2023-01", p, c) for p in pts[:18] for c in ("fever", "pain")])
    add_cancers(con, [(p, "2023-03-01", "C18") for p in pts[:3]])
    bt = run_backtest(con, month("2023-01"), month("2023-03"), SETTINGS)
    assert "min_criteria = 2 (16.7 %" in band_answer(bt.table, SETTINGS)  # unsuppressed
    text = band_answer(suppress(bt.table, suppression_rules(SETTINGS)), SETTINGS)
    assert "16.7" not in text and "Too few" in text


CRITERIA = ["alp_high", "hb_low", "fever", "pain", "weight_loss"]


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 11), st.integers(0, 29), st.sampled_from(CRITERIA)),
                max_size=120),
       st.lists(st.tuples(st.integers(0, 29), st.integers(0, 700)), max_size=15))
def test_properties_on_random_histories(met, cancers):
    """Flagged workload never rises with min_criteria; episodes never exceed flagged months;
    cancers within 3 <= 6 <= 12 months; sensitivity and PPV are proportions."""
    con = new_db(complete_until="2030-12-31")
    pids = [f"R{i:02d}" for i in range(30)]
    add_eligible(con, pids, "2022-01", "2023-12")
    add_criteria(con, sorted({(f"2023-{m + 1:02d}", pids[p], c) for m, p, c in met}))
    add_cancers(con, [(pids[p], str(date(2023, 1, 1) + timedelta(days=d)), "C18") for p, d in cancers])
    t = run_backtest(con, month("2023-01"), month("2023-12"), SETTINGS).table.set_index("rule_id")
    flagged = [t.loc[f"min_criteria:{k}", "n_flagged"] for k in (1, 2, 3, 4)]
    assert flagged == sorted(flagged, reverse=True)
    assert (t["n_episodes"] <= t["n_flagged"]).all()
    assert ((t["n_cancer_3m"] <= t["n_cancer_6m"]) & (t["n_cancer_6m"] <= t["n_cancer_12m"])).all()
    assert (t["n_found"] <= t["n_cancers"]).all()
    # every single-criterion flag is a min_criteria:1 flag
    assert (t.loc[t.index.str.startswith("criterion:"), "n_flagged"] <= flagged[0]).all()
