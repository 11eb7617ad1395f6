"""The report's sections: which views and figures, from the releasable tables."""
from __future__ import annotations

import pandas as pd

from . import quality
from .context import Context, ym
from .views import Builder, Cell, View


def trend_view(b: Builder, months: list[str]) -> View:
    v = b.view("t_trend", ["c_month", "c_listed_adults", "c_new_episodes", "c_per_1000",
                           "c_aos_starts", "c_per_1000", "c_referred_within"], "n_trend")
    for m in months:
        i = b.measure_idx("listed_adults", m)
        listed = b.num("measures", i, "numerator") if i is not None else Cell("–")
        j = b.measure_idx("referred_within_share", m)
        referred = b.num("measures", j, "ratio", 1, pct=True) if j is not None else Cell(
            b.msg("verdict_follow_up_incomplete"))
        v.rows.append([Cell(m), listed, *b.measure_cells("new_episodes_per_1000", m),
                       *b.measure_cells("aos_starts_per_1000", m), referred])
    return v


def units_view(b: Builder, month: str) -> View:
    v = b.view("t_units", ["c_care_unit", "c_listed_adults", "c_new_episodes", "c_per_1000",
                           "c_aos_starts", "c_per_1000"], "n_units", month=month)
    df = b.t["measures"]
    units = sorted(df[(df.month == month) & (df.group_type == "care_unit")].group.unique())
    for u in ["ALL", *units]:
        gt = "region" if u == "ALL" else "care_unit"
        i = b.measure_idx("listed_adults", month, gt, u)
        v.rows.append([Cell(b.msg("region_all") if u == "ALL" else u), b.num("measures", i, "numerator"),
                       *b.measure_cells("new_episodes_per_1000", month, gt, u),
                       *b.measure_cells("aos_starts_per_1000", month, gt, u)])
    return v


def criteria_views(b: Builder, month: str) -> list[View]:
    df = b.t["measures"]
    v = b.view("t_criteria", ["c_criterion", "c_patients", "c_per_1000"], month=month)
    for i in df.index[(df.measure == "criterion_per_1000") & (df.month == month)]:
        g = df.at[i, "group"]
        v.rows.append([Cell(b.msg.get("criterion_" + g, g)), b.num("measures", i, "numerator"),
                       b.num("measures", i, "ratio", 2)])
    p = b.view("t_pairs", ["c_pair", "c_patients", "c_share_of_list"], "n_pairs", month=month)
    for i in df.index[(df.measure == "criteria_pair_share") & (df.month == month)]:
        a, c = df.at[i, "group"].split("+")
        p.rows.append([Cell(f"{b.msg.get('criterion_' + a, a)} + {b.msg.get('criterion_' + c, c)}"),
                       b.num("measures", i, "numerator"), b.num("measures", i, "ratio", 1, pct=True)])
    return [v, p]


def _yield_row(b: Builder, i, label: str) -> list[Cell]:
    y = b.t["yield"]
    return [Cell(label), b.num("yield", i, "n"), b.num("yield", i, "cancers"),
            b.num("yield", i, "yield", 1, pct=True), b.num("yield", i, "ci_low", 1, pct=True),
            b.num("yield", i, "ci_high", 1, pct=True), Cell(b.msg("verdict_" + y.at[i, "verdict"]))]


FLAG_ITEMS = ("unknown_sex", "empty_file", "high_quarantine")  # sql/report/data_quality_flags.sql
YIELD_COLS = ["c_n", "c_cancers", "c_yield", "c_ci_low", "c_ci_high", "c_verdict"]


def yield_views(b: Builder, ctx: Context) -> list[View]:
    y, w = b.t["yield"], ctx.cfg.headline_window
    pooled = b.view("t_yield_pooled", ["c_yield_type", "c_window", "c_period", *YIELD_COLS])
    for i in y.index[(y.group_type == "region") & y.pooled]:
        row = _yield_row(b, i, b.msg("yield_type_" + y.at[i, "yield_type"]))
        pooled.rows.append([row[0], Cell(str(y.at[i, "window_months"])), Cell(y.at[i, "period"]), *row[1:]])
    monthly = b.view("t_yield_monthly", ["c_month", "c_yield_type", *YIELD_COLS], "n_yield_monthly", w=w)
    sel = (y.window_months == w) & (y.group_type == "region") & ~y.pooled
    for i in y.index[sel].sort_values():
        row = _yield_row(b, i, y.at[i, "period"])
        monthly.rows.append([row[0], Cell(b.msg("yield_type_" + y.at[i, "yield_type"])), *row[1:]])
    units = b.view("t_yield_units", ["c_care_unit", "c_yield_type", *YIELD_COLS], w=w)
    for i in y.index[(y.window_months == w) & (y.group_type == "care_unit")]:
        row = _yield_row(b, i, y.at[i, "group"])
        units.rows.append([row[0], Cell(b.msg("yield_type_" + y.at[i, "yield_type"])), *row[1:]])
    s = b.t["yield_sites"]
    sites = b.view("t_sites", ["c_yield_type", "c_period", "c_site", "c_icd10", "c_cancers"], w=w)
    for i in s.index:
        sites.rows.append([Cell(b.msg("yield_type_" + s.at[i, "yield_type"])), Cell(s.at[i, "period"]),
                           Cell(b.msg.get("site_" + s.at[i, "site_group"], s.at[i, "site_group"])),
                           Cell(s.at[i, "icd10"]), b.num("yield_sites", i, "cancers")])
    mo = b.t["missed_opportunities"]
    missed = b.view("t_missed", ["c_item", "c_period", "c_value"], "n_missed")
    for i in mo.index:
        dec = 1 if mo.at[i, "item"] == "median_lead_days" else 0
        missed.rows.append([Cell(b.msg("missed_" + mo.at[i, "item"])), Cell(mo.at[i, "period"]),
                            b.num("missed_opportunities", i, "value", dec)])
    return [pooled, monthly, units, sites, missed]


def pathway_views(b: Builder, ctx: Context, months: list[str]) -> list[View]:
    df = b.t["measures"]
    target = ctx.cfg.lead_time_target_days
    lead = b.view("t_lead", ["c_month", "c_closed_in_target", "c_judged", "c_share", "c_closed",
                             "c_median_days"], "n_lead", days=target)
    panel = b.view("t_panel", ["c_month", "c_panel_complete", "c_aos_starts", "c_share"])
    for m in months:
        i = b.measure_idx("closed_within_target_share", m)
        j = b.measure_idx("median_days_to_close", m)
        if i is not None:
            lead.rows.append([Cell(m), b.num("measures", i, "numerator"), b.num("measures", i, "denominator"),
                              b.num("measures", i, "ratio", 1, pct=True),
                              b.num("measures", j, "denominator"), b.num("measures", j, "ratio", 1)])
        k = b.measure_idx("panel_complete_share", m)
        if k is not None:
            panel.rows.append([Cell(m), b.num("measures", k, "numerator"), b.num("measures", k, "denominator"),
                               b.num("measures", k, "ratio", 1, pct=True)])
    pooled = b.view("t_pathway_pooled", ["c_measure", "c_period", "c_numerator", "c_denominator", "c_share"],
                    "n_pathway_pooled")
    for i in df.index[df.measure.isin(["closed_within_target_share", "aos_route_share"])
                      & df.pooled]:
        pooled.rows.append([Cell(b.msg("m_" + df.at[i, "measure"])), Cell(df.at[i, "month"].replace("/", " – ")),
                            b.num("measures", i, "numerator"), b.num("measures", i, "denominator"),
                            b.num("measures", i, "ratio", 1, pct=True)])
    missing = b.view("t_missing", ["c_lab_test", "c_missing", "c_aos_starts", "c_share"], "n_missing")
    for i in df.index[df.measure == "panel_test_missing_share"]:
        g = df.at[i, "group"]
        missing.rows.append([Cell(b.msg.get("test_" + g, g)), b.num("measures", i, "numerator"),
                             b.num("measures", i, "denominator"), b.num("measures", i, "ratio", 1, pct=True)])
    return [pooled, lead, panel, missing]


def quality_views(b: Builder) -> list[View]:
    dq = b.t["data_quality"]
    rows = b.view("t_rows", ["c_table", "c_rows_read", "c_rows_loaded", "c_rows_already_present",
                             "c_rows_quarantined"])
    base = dq[~dq.item.isin(("quarantine_reason", *FLAG_ITEMS))]
    for table, grp in base.groupby("table_name", sort=True):
        rows.rows.append([Cell(table)] + [b.num("data_quality", i, "rows") for i in grp.index])
    reasons = b.view("t_reasons", ["c_table", "c_column", "c_reason", "c_rows"], "n_reasons")
    dq = quality.reason_labels(dq, b.msg)  # categories (pipeline/reasons.py) as display text
    for i in dq.index[dq.item == "quarantine_reason"]:
        reasons.rows.append([Cell(dq.at[i, "table_name"]), Cell(dq.at[i, "column_name"]),
                             Cell(dq.at[i, "reason"]), b.num("data_quality", i, "rows")])
    flags = b.view("t_flags", ["c_table", "c_warning", "c_column", "c_rows"], "n_flags")
    for i in dq.index[dq.item.isin(FLAG_ITEMS)]:
        flags.rows.append([Cell(dq.at[i, "table_name"]), Cell(b.msg("flag_" + dq.at[i, "item"],
                          file=dq.at[i, "reason"])), Cell(dq.at[i, "column_name"]), b.num("data_quality", i, "rows")])
    comp = b.t["completeness"]
    dates = b.view("t_completeness", ["c_field", "c_date", "c_derived"])
    for i in comp.index:
        dates.rows.append([Cell(b.msg("field_" + comp.at[i, "field"])),
                           Cell(comp.at[i, "date"] or b.msg("not_known")),
                           Cell(b.msg("yes") if comp.at[i, "derived"] else b.msg("no"))])
    return [rows, reasons, *([flags] if flags.rows else []), dates]


def step_label(msg, step_no) -> str:
    """The exclusion step in the report's language, by its number (SPEC §4 order); the
    cohort's English `step` text is never shown."""
    return msg(f"attrition_step_{int(step_no)}")


def attrition_view(b: Builder, month: str) -> View:
    a = b.t["attrition_region"]
    v = b.view("t_attrition", ["c_step_no", "c_step", "c_n_before", "c_n_excluded", "c_n_after"], month=month)
    for i in a.index:
        v.rows.append([Cell(str(a.at[i, "step_no"])), Cell(step_label(b.msg, a.at[i, "step_no"])),
                       b.num("attrition_region", i, "n_before"), b.num("attrition_region", i, "n_excluded"),
                       b.num("attrition_region", i, "n_after")])
    return v


def runs_view(b: Builder) -> View:
    r = b.t["cohort_runs"]
    v = b.view("t_runs", ["c_month", "c_rules_version", "c_rules_hash", "c_baseline_incomplete",
                          "c_not_evaluable"])
    for i in r.index:
        v.rows.append([Cell(r.at[i, "month"]), b.text(r.at[i, "rules_version"]),
                       Cell(str(r.at[i, "rules_hash"] or "")[:12]),
                       Cell(b.msg("yes") if r.at[i, "baseline_incomplete"] else b.msg("no")),
                       b.text(r.at[i, "not_evaluable"])])
    return v


def headline(b: Builder, ctx: Context) -> list[tuple[str, Cell]]:
    m, w = ym(ctx.month), ctx.cfg.headline_window
    out = []
    i = b.measure_idx("listed_adults", m)
    if i is not None:
        out.append((b.msg("h_listed_adults"), b.num("measures", i, "numerator")))
    for measure in ("new_episodes_per_1000", "aos_starts_per_1000"):
        i = b.measure_idx(measure, m)
        if i is not None:
            out.append((b.msg("h_" + measure.replace("_per_1000", "")), b.num("measures", i, "numerator")))
            out.append((b.msg("h_" + measure), b.num("measures", i, "ratio", 2)))
    y = b.t["yield"]
    for t in ("pathway", "flag"):
        hit = y.index[(y.yield_type == t) & (y.window_months == w) & (y.group_type == "region")
                      & y.pooled]
        if len(hit):
            out.append((b.msg("h_yield_" + t, w=w, period=y.at[hit[0], "period"]),
                        b.num("yield", hit[0], "yield", 1, pct=True)))
    return out


def complete_months_text(b: Builder, ctx: Context) -> str:
    y = b.t["yield"]
    w = ctx.cfg.headline_window
    d = y[(y.window_months == w) & (y.group_type == "region") & ~y.pooled]
    complete = d.follow_up_complete.astype(bool)
    done = sorted(d[complete].period.unique())
    todo = sorted(d[~complete].period.unique())
    crcu = ctx.cancer_complete.isoformat() if ctx.cancer_complete else b.msg("not_known")
    return b.msg("yield_complete_text", w=w, register=crcu,
                 done=(f"{done[0]} – {done[-1]}" if done else b.msg("none")),
                 todo=(f"{todo[0]} – {todo[-1]}" if todo else b.msg("none")))


def all_months(tables: dict[str, pd.DataFrame]) -> list[str]:
    m = tables["measures"]
    return sorted(m[(m.measure == "listed_adults") & (m.group_type == "region")].month.unique())
