"""SPEC §6.3-6.4: AOS lead time (closed within 22 days, median days) and lab-panel
completeness at referral."""
from __future__ import annotations

import pandas as pd

from . import sql
from .cells import Cells
from .context import REGION, Context, add_months, period, ym
from .measures import key, row


def _panel_frame(ctx: Context) -> pd.DataFrame:
    rows = [{"test_id": t["id"], "analyte": a, "sex": t["sex"]}
            for t in ctx.cfg.panel for a in t["analytes"]]
    return pd.DataFrame(rows, columns=["test_id", "analyte", "sex"]).astype(
        {"test_id": "string", "analyte": "string", "sex": "string"})


def collect(ctx: Context, cells: Cells) -> dict:
    if "referrals" not in ctx.present:
        return {}
    con, cfg = ctx.con, ctx.cfg
    out = {}
    if ctx.data_complete:
        lt = sql.query(con, "lead_time", first=ctx.first, last=ctx.month,
                       target=cfg.lead_time_target_days, data_complete=ctx.data_complete)
        for r in lt.itertuples(index=False):
            p = ym(r.month)
            judged = cells.add(key("lead:judged", p), r.judged)
            cells.add_share(cells.add(key("lead:closed_in_target", p), r.closed_in_target), judged)
            cells.add(key("lead:closed", p), r.closed)
        out["lead"] = lt
    con.register("rpt_panel_df", _panel_frame(ctx))
    con.execute("CREATE OR REPLACE TEMP TABLE rpt_panel AS SELECT * FROM rpt_panel_df")
    con.unregister("rpt_panel_df")
    sql.execute(con, "panel", window_days=cfg.panel_window_days)
    pc = sql.query(con, "panel_complete", first=ctx.first, last=ctx.month)
    for r in pc.itertuples(index=False):
        k = cells.add(key("panel:complete", ym(r.month)), r.complete)
        cells.add_share(k, key("aos_starts", ym(r.month)))
    out["panel"] = pc
    # most often missing tests: starts of the last 12 months
    p_first = max(ctx.first, add_months(ctx.month, -11))
    p = period(p_first, ctx.month)
    pm = sql.query(con, "panel_missing", first=p_first, last=ctx.month)
    months = [m for m in ctx.months if m >= p_first]
    starts = cells.add(key("aos_starts", p), sum(cells.values[key("aos_starts", ym(m))] for m in months))
    cells.add_group(starts, [key("aos_starts", ym(m)) for m in months])
    for r in pm.itertuples(index=False):
        den = key("aos_starts", p) if r.starts == cells.values[starts] else key(
            "panel:applicable:" + r.test_id, p, "lab_test", r.test_id)
        cells.add(den, r.starts)
        k = cells.add(key("panel:missing:" + r.test_id, p, "lab_test", r.test_id), r.missing)
        cells.add_share(k, den)
    out["missing"], out["missing_period"] = pm, p
    return out


def release(ctx: Context, cells: Cells, raw: dict) -> list[dict]:
    rows = []
    target = ctx.cfg.lead_time_target_days
    if "lead" in raw:
        for r in raw["lead"].itertuples(index=False):
            p = ym(r.month)
            rows.append(row(cells, f"closed_within_{target}d_share", p, *REGION,
                            num=key("lead:closed_in_target", p), den=key("lead:judged", p)))
            med = None if pd.isna(r.median_days) else float(r.median_days)
            rows.append(row(cells, "median_days_to_close", p, *REGION,
                            den=key("lead:closed", p), ratio=med))
    if "panel" in raw:
        for r in raw["panel"].itertuples(index=False):
            p = ym(r.month)
            rows.append(row(cells, "panel_complete_share", p, *REGION,
                            num=key("panel:complete", p), den=key("aos_starts", p)))
        p = raw["missing_period"]
        total = cells.values[key("aos_starts", p)]
        for r in raw["missing"].itertuples(index=False):
            den = key("aos_starts", p) if r.starts == total else key(
                "panel:applicable:" + r.test_id, p, "lab_test", r.test_id)
            rows.append(row(cells, "panel_test_missing_share", p, "lab_test", r.test_id,
                            num=key("panel:missing:" + r.test_id, p, "lab_test", r.test_id), den=den))
    return rows
