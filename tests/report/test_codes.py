"""Issue 10 point 6: codes, not display text, as keys; display text from the catalogues."""
from __future__ import annotations

from datetime import date

import duckdb

from pipeline.cohort.rules import load_rules
from pipeline.report import config, messages
from pipeline.report.build import compute
from pipeline.report.messages import Messages
from pipeline.report.sections import step_label

from .fixture_db import REPORT_MONTH


def test_labels_follow_the_parameters_not_the_text(monkeypatch):
    params = {"min_age": 21, "min_criteria": 3, "known_cancer_months": 24, "recent_months": 6,
              "referral_days": 60, "lead_days": 30, "lead_target_pct": 90}
    monkeypatch.setattr(messages, "message_params", lambda rules=None: params)
    sv, en = Messages("sv"), Messages("en")
    assert step_label(sv, 1) == "under 21 år vid T" and step_label(en, 1) == "age under 21 at T"
    assert "24" in step_label(sv, 4) and "6" in step_label(sv, 5) and "3" in step_label(sv, 6)
    assert "60 dagar" in sv("c_referred_within") and "60 days" in en("m_referred_within_share")
    assert "60 dagar" in sv.get("mdef_referred_within_share", "")
    assert "30 dagar" in sv("m_closed_within_target_share") and "30 days" in en("sum_lead_time")
    assert "mål 90 %" in sv("sum_lead_time")


def test_labels_follow_the_rules_of_the_report_being_written():
    """A report written under another rules file (aos run --rules) names its parameters and
    criteria from that file, not from the shipped one."""
    rules = load_rules()
    rules.data["cohort"]["min_criteria"] = 3
    rules.criteria["fever"]["name_sv"] = "feber (lokal regel)"
    with config.rules_in_force(rules):
        sv = Messages("sv")
    assert "3" in step_label(sv, 6) and sv("criterion_fever") == "feber (lokal regel)"
    assert "2" in step_label(Messages("sv"), 6)
    assert Messages("sv")("criterion_fever") != "feber (lokal regel)"


def test_every_step_label_is_filled_in_both_languages():
    for lang in ("sv", "en"):
        m = Messages(lang)
        for no in range(1, 7):
            assert "{" not in step_label(m, no)


def test_pooled_rows_are_flagged_not_guessed(fixture_db):
    con = duckdb.connect(str(fixture_db), read_only=True)
    try:
        _, t = compute(con, fixture_db, date.fromisoformat(REPORT_MONTH + "-01"))
    finally:
        con.close()
    for name, col in (("measures", "month"), ("yield", "period")):
        df = t[name]
        assert df.pooled.dtype == bool and df.pooled.any() and (~df.pooled).any()
        spans = df[col].str.fullmatch(r"\d{4}-\d{2}(-\d{2})?/\d{4}-\d{2}(-\d{2})?")
        assert (spans == df.pooled).all(), name
    m = t["measures"].measure
    assert "referred_within_share" in set(m) and not m.str.startswith("referred_within_9").any()


def test_yield_band_follows_the_rules_in_force():
    """The report's yardsticks come from the run's rules file (aos run --rules), not the shipped one."""
    rules = load_rules()
    rules.data["yield"]["band_low"], rules.data["yield"]["band_high"] = 0.10, 0.12
    with config.rules_in_force(rules):
        assert (config.load().band_low, config.load().band_high) == (0.10, 0.12)
    assert (config.load().band_low, config.load().band_high) == (0.15, 0.20)
