"""Back-test of the review rules on the cohort tables (set-based, `sql/evaluate/`).

For every criterion, every pair of criteria and the review rule at each `min_criteria`:
workload (new episodes per 1,000 eligible adults per month), flag yield (PPV) at each follow-up
window with Wilson 95 % intervals, sensitivity and lead time. See docs/evaluate.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from ..errors import DataRefused
from . import metrics
from .settings import Settings, add_months, month_label
from ..cohort.rules import install_cancer_macro
from ..sqlfiles import run_file
from ..report.messages import Messages


@dataclass
class Backtest:
    table: pd.DataFrame  # one row per rule (wide), unsuppressed
    followup: pd.DataFrame  # window_months, month, window_end, complete
    first: date
    last: date
    lookback_from: date
    complete_until: date
    n_sensitivity_cancers: int


def complete_until(con) -> date:
    """`cancer_register_complete_until` of the latest ingested extract (exit 1 when unknown)."""
    try:
        row = con.execute(
            "SELECT cancer_register_complete_until FROM extract_meta "
            "ORDER BY ingested_at DESC LIMIT 1").fetchone()
    except Exception:  # noqa: BLE001 - table absent
        row = None
    if not row or row[0] is None:
        raise DataRefused("extract_meta: column cancer_register_complete_until is empty or the "
                          "table is missing: ingest an extract first (aos ingest)")
    return row[0]


def lookback_start(first: date, settings: Settings) -> date:
    """First cohort month the back-test reads: episodes and sensitivity look back."""
    return add_months(first, -max(settings.episode_gap_months, settings.sensitivity_lookback_months))


def run_backtest(con, first: date, last: date, settings: Settings,
                 criteria: tuple[str, ...] = ()) -> Backtest:
    until = complete_until(con)
    n_eligible = con.execute("SELECT count(*) FROM eligible_adults WHERE month BETWEEN ? AND ?",
                             [first, last]).fetchone()[0]
    if not n_eligible:
        raise DataRefused(f"eligible_adults: no rows for {month_label(first)}..{month_label(last)}; "
                          "the cohort months have not been computed")
    lookback_from = lookback_start(first, settings)
    params = dict(
        first=first, last=last, lookback_from=lookback_from, complete_until=until,
        gap=settings.episode_gap_months, lookback=settings.sensitivity_lookback_months,
        windows=list(settings.windows_months), min_criteria=list(settings.min_criteria),
        criteria=list(criteria),
    )
    install_cancer_macro(con, settings.cancer)
    for name in ("00_rules.sql", "01_flags.sql", "02_episodes.sql", "03_cancers.sql"):
        run_file(con, f"evaluate/{name}", params)
    rules = con.execute("SELECT * FROM eval_rules ORDER BY rule_id").df()
    workload = run_file(con, "evaluate/04_workload.sql", params)
    ppv = run_file(con, "evaluate/05_ppv.sql", params)
    sens = run_file(con, "evaluate/06_sensitivity.sql", params)
    followup = run_file(con, "evaluate/07_followup_months.sql", params)
    table = _assemble(rules, workload, ppv, sens, settings)
    n_cancers = int(sens["n_cancers"].iloc[0]) if len(sens) else 0
    return Backtest(table, followup, first, last, lookback_from, until, n_cancers)


def _assemble(rules, workload, ppv, sens, settings: Settings) -> pd.DataFrame:
    t = rules.merge(workload, on="rule_id", how="left")
    t["episodes_per_1000"] = metrics.per_1000(t["n_episodes"], t["eligible_months"])
    t["flagged_per_1000"] = metrics.per_1000(t["n_flagged"], t["eligible_months"])
    for w in settings.windows_months:
        p = ppv[ppv["window_months"] == w].set_index("rule_id")
        n = p["n_followed"].reindex(t["rule_id"]).fillna(0).to_numpy().astype(int)
        k = p["n_cancer"].reindex(t["rule_id"]).fillna(0).to_numpy().astype(int)
        lo, hi = metrics.wilson(k, n)
        t[f"n_followed_{w}m"] = n
        t[f"n_cancer_{w}m"] = k
        t[f"ppv_{w}m"] = metrics.proportion(k, n)
        t[f"ppv_{w}m_lo"], t[f"ppv_{w}m_hi"] = lo, hi
        t[f"verdict_{w}m"] = metrics.verdict(lo, hi, n, settings.expected_yield_low,
                                             settings.expected_yield_high, settings.min_n_verdict)
    s = sens.set_index("rule_id").reindex(t["rule_id"])
    t["n_cancers"] = s["n_cancers"].fillna(0).to_numpy().astype(int)
    t["n_found"] = s["n_found"].fillna(0).to_numpy().astype(int)
    t["sensitivity"] = metrics.proportion(t["n_found"], t["n_cancers"])
    t["sensitivity_lo"], t["sensitivity_hi"] = metrics.wilson(t["n_found"], t["n_cancers"])
    for col in ("lead_days_median", "lead_days_q1", "lead_days_q3"):
        t[col] = s[col].to_numpy().astype(float)
    order = {"min_criteria": 0, "criterion": 1, "pair": 2}
    t = t.assign(_o=t["kind"].map(order)).sort_values(["_o", "min_criteria", "rule_id"])
    return t.drop(columns="_o").reset_index(drop=True)


def suppression_rules(settings: Settings) -> dict[str, list[str]]:
    """Which columns are built on which count (for `disclosure.suppress`)."""
    rules: dict[str, list[str]] = {
        "n_episodes": ["episodes_per_1000"],
        "n_flagged": ["flagged_per_1000"],
    }
    for w in settings.windows_months:
        ppv = [f"ppv_{w}m", f"ppv_{w}m_lo", f"ppv_{w}m_hi", f"verdict_{w}m"]
        rules[f"n_followed_{w}m"] = [f"n_cancer_{w}m", *ppv]
        rules[f"n_cancer_{w}m"] = ppv
    rules["n_cancers"] = ["n_found", "sensitivity", "sensitivity_lo", "sensitivity_hi"]
    rules["n_found"] = ["sensitivity", "sensitivity_lo", "sensitivity_hi",
                        "lead_days_median", "lead_days_q1", "lead_days_q3"]
    return rules


def band_answer(table: pd.DataFrame, settings: Settings, msg: Messages | None = None) -> str:
    """One sentence for a quality team: which settings put the flag yield inside the band, in
    the language of `msg` (English when None). Pass the suppressed table: a rule whose yield is
    hidden is never named with a number."""
    msg = msg or Messages("en")
    w = settings.headline_window_months
    lo_b, hi_b = settings.expected_yield_low, settings.expected_yield_high
    band = f"{msg.number(lo_b * 100)}–{msg.number(hi_b * 100)} %"
    ppv, lo, hi = f"ppv_{w}m", f"ppv_{w}m_lo", f"ppv_{w}m_hi"
    table = table.copy()
    for col in (ppv, lo, hi, f"n_followed_{w}m", "episodes_per_1000"):
        table[col] = pd.to_numeric(table[col], errors="coerce")
    enough = table[(table[f"n_followed_{w}m"] >= settings.min_n_verdict) & table[ppv].notna()]
    if enough.empty:
        return msg("ev_ans_too_few", w=w, band=band)
    inside = enough[(enough[ppv] >= lo_b) & (enough[ppv] <= hi_b)]

    def pc(x: float) -> str:
        return f"{msg.number(x * 100, 1)} %"

    def describe(r, verdict: bool = False) -> str:
        v = r.get(f"verdict_{w}m") if verdict else None
        note = msg("ev_ans_" + {"consistent": "overlap"}.get(v, v)) if v in ("consistent", "below", "above") else ""
        return msg("ev_ans_describe", rule=rule_label(r, msg), ppv=pc(r[ppv]), lo=pc(r[lo]), hi=pc(r[hi]),
                   note=note, rate=msg.number(r["episodes_per_1000"], 2))

    review = enough[enough["kind"] == "min_criteria"]
    in_review = inside[inside["kind"] == "min_criteria"]
    if not in_review.empty:
        head = msg("ev_ans_inside", w=w, band=band,
                   rules="; ".join(describe(r) for _, r in in_review.iterrows()))
    elif not review.empty:
        best = review.iloc[(review[ppv] - (lo_b + hi_b) / 2).abs().argsort()].iloc[0]
        head = msg("ev_ans_closest", w=w, band=band, rule=describe(best, verdict=True))
    else:
        head = msg("ev_ans_none", w=w)
    others = inside[inside["kind"] != "min_criteria"].sort_values("episodes_per_1000", ascending=False)
    if not others.empty:
        names = ", ".join(rule_label(r, msg) for _, r in others.head(5).iterrows())
        more = msg("ev_ans_more", n=len(others) - 5) if len(others) > 5 else ""
        head += ". " + msg("ev_ans_others", names=names, more=more)
    return head + "."


def pct(x: float) -> str:
    return f"{x * 100:.1f} %"


def rule_label(r, msg: Messages | None = None, bare: bool = False) -> str:
    """A rule's name in the language of `msg` (English when None); `bare`: without "the pair" /
    "the criterion" (table cells)."""
    msg = msg or Messages("en")
    if r["kind"] == "min_criteria":
        return msg("ev_lbl_min", k=int(r["min_criteria"]))
    names = [msg.get("criterion_" + c, c) if msg.lang != "en" else c for c in str(r["criteria"]).split("+")]
    if r["kind"] == "pair":
        return " + ".join(names) if bare else msg("ev_lbl_pair", a=" + ".join(names))
    return names[0] if bare else msg("ev_lbl_criterion", c=names[0])


def monotone_workload(table: pd.DataFrame) -> bool:
    """Flagged workload never rises with min_criteria (a sanity check used by tests)."""
    r = table[table["kind"] == "min_criteria"].sort_values("min_criteria")
    return bool(np.all(np.diff(r["flagged_per_1000"].to_numpy()) <= 0))
