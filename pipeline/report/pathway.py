"""SPEC §6.3-6.4: AOS lead time (closed within 22 days, median days) and lab-panel
completeness at referral."""
from __future__ import annotations

import pandas as pd

from datetime import timedelta

from . import settings, sql
from .cells import Cells
from .context import REGION, Context, add_months, period, ym
from .measures import key, row
from .yield_ import PREVIOUS, previous_months


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
        out["lead_pool"] = _pool_lead(ctx, cells, lt)
    out["route"] = _collect_route(ctx, cells)
    out["rolling_rates"] = _collect_rolling_rates(ctx, cells)
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


def _pool_lead(ctx: Context, cells: Cells, lt: pd.DataFrame) -> list[str]:
    """Rolling headline: starts of the 12 most recent months that are judged in full, and the
    12 months just before them (the summary's comparison, no overlap) when all judged."""
    judged = [pd.Timestamp(r.month).date() for r in lt.itertuples(index=False)
              if r.judged == r.starts and r.starts]
    n, out = settings.load().rolling_months, []
    for pool, opt in ((judged[-n:], None), (previous_months(judged, n), PREVIOUS + " lead")):
        if not pool:
            break
        p = period(pool[0], pool[-1])
        for q in ("lead:judged", "lead:closed_in_target"):
            total = cells.add(key(q, p), sum(cells.values[key(q, ym(m))] for m in pool), optional=opt)
            cells.add_group(total, [key(q, ym(m)) for m in pool])
        cells.add_share(key("lead:closed_in_target", p), key("lead:judged", p))
        out.append(p)
    return out


ROLLING_RATES = {"new_episodes": "new_episodes_12m_per_1000", "aos_starts": "aos_starts_12m_per_1000"}


def _collect_rolling_rates(ctx: Context, cells: Cells) -> list[tuple[str, str, str]]:
    """New review episodes and AOS starts in the 12 months ending with M, and in the 12 months
    before (the summary's comparison), per 1,000 listed adults of each pool's last month."""
    n, out = settings.load().rolling_months, []
    for back in (0, 1):
        last = add_months(ctx.month, -n * back)
        months = [m for m in ctx.months if add_months(last, -(n - 1)) <= m <= last]
        if len(months) < n:
            continue
        p = period(months[0], last)
        for q in ROLLING_RATES:
            if key(q, p) not in cells.values:
                total = cells.add(key(q, p), sum(cells.values[key(q, ym(m))] for m in months),
                                  optional=f"{PREVIOUS} {q}" if back else None)
                cells.add_group(total, [key(q, ym(m)) for m in months])
            out.append((q, p, ym(last)))
    return out


def route_period(ctx: Context) -> tuple | None:
    """The 12 whole months ending with the report month or the last whole month of the cancer
    register, whichever is earlier."""
    crcu = ctx.cancer_complete
    if crcu is None:
        return None
    last = add_months((crcu + timedelta(days=1)).replace(day=1), -1)
    last = min(last, ctx.month)
    first = add_months(last, -(settings.load().rolling_months - 1))
    return first, last


def _collect_route(ctx: Context, cells: Cells) -> list[str]:
    """The route share of the route period and of the 12 months before it when the trend
    months cover that period's look-back (the summary's comparison)."""
    if "cancer_diagnoses" not in ctx.present or route_period(ctx) is None:
        return []
    first, last = route_period(ctx)
    s, out = settings.load(), []
    for back in (0, s.rolling_months):
        f, z = add_months(first, -back), add_months(last, -back)
        if back and add_months(f, -s.route_lookback_months) < ctx.first:
            break
        r = sql.query(ctx.con, "route_share", period_from=f,
                      period_to=add_months(z, 1) - timedelta(days=1),
                      lookback=s.route_lookback_months).iloc[0]
        p, opt = period(f, z), PREVIOUS + " route" if back else None
        k = cells.add(key("route:after_aos", p), r.after_aos, optional=opt)
        cells.add_share(k, cells.add(key("route:cancers", p), r.cancers, optional=opt))
        out.append(p)
    return out


def rolled_row(cells: Cells, measure: str, p: str, num, den, scale: float = 1.0) -> dict:
    """A rolling pooled measures row: counts rounded (settings rolling_round_to), the ratio
    from the rounded counts, so that consecutive releases cannot be subtracted."""
    base = settings.load().round_to
    r = row(cells, measure, p, *REGION, num=num, den=den, pooled=True)
    n, d = settings.round_count(r["numerator"], base), settings.round_count(r["denominator"], base)
    r.update(numerator=n, denominator=d,
             ratio=None if r["suppressed"] or not d else round(n / d * scale, 4))
    return r


def release(ctx: Context, cells: Cells, raw: dict) -> list[dict]:
    rows = []
    for p in raw.get("lead_pool", []):
        rows.append(rolled_row(cells, "closed_within_target_share",
                               p, key("lead:closed_in_target", p), key("lead:judged", p)))
    for q, p, last in raw.get("rolling_rates", []):
        rows.append(rolled_row(cells, ROLLING_RATES[q], p, key(q, p), key("listed_adults", last), 1000))
    for p in raw.get("route", []):
        rows.append(rolled_row(cells, "aos_route_share", p, key("route:after_aos", p),
                               key("route:cancers", p)))
    if "lead" in raw:
        for r in raw["lead"].itertuples(index=False):
            p = ym(r.month)
            rows.append(row(cells, "closed_within_target_share", p, *REGION,
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
                            num=key("panel:missing:" + r.test_id, p, "lab_test", r.test_id), den=den,
                            pooled=True))
    return rows
