"""SPEC §6.2 yield against the expected 15-20 %: pathway and flag yield at W months,
Wilson intervals, verdicts, sites, and missed opportunities."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from .. import months
from . import settings, sql
from .cells import Cells
from .context import REGION, Context, add_months, period, ym
from .measures import key

COHORT_QUANTITY = {"pathway": "aos_starts", "flag": "new_episodes"}
LEAD_BINS = ((0, 90), (91, 180), (181, 365), (366, None))
PREVIOUS = "previous 12 months"  # the summary's comparison pools: shown only if they cost nothing


def wilson(cancers: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    lo, hi = proportion_confint(cancers, n, alpha=alpha, method="wilson")
    return float(lo), float(hi)


def verdict(n: int, lo: float | None, hi: float | None, band_low: float, band_high: float,
            min_n: int) -> str:
    """below: upper < band_low; above: lower > band_high; too_few: n < min_n."""
    if n < min_n:
        return "too_few"
    if hi < band_low:
        return "below"
    if lo > band_high:
        return "above"
    return "consistent"


def flag_verdict(n: int, lo: float | None, hi: float | None, reference: float, min_n: int) -> str:
    """Flag yield against the reference risk (SPEC v1.1 §6.2): below (upper < reference),
    at_or_above (lower >= reference), consistent; too_few when n < min_n."""
    if n < min_n:
        return "too_few"
    if hi < reference:
        return "ref_below"
    if lo >= reference:
        return "ref_at_or_above"
    return "ref_consistent"


def judge(yield_type: str, n: int, lo, hi, cfg) -> str:
    """The verdict of a yield against its own yardstick: the band for the pathway, the
    reference risk for the flag; never one as the other's target."""
    if yield_type == "flag":
        return flag_verdict(n, lo, hi, settings.load().flag_reference, cfg.min_n)
    return verdict(n, lo, hi, cfg.band_low, cfg.band_high, cfg.min_n)


def funnel_limits(n, p: float, coverage: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact binomial control limits (proportions) around reference p for cohort sizes n
    (Spiegelhalter 2005): the (1 - coverage)/2 and (1 + coverage)/2 quantiles of Bin(n, p) / n."""
    from scipy.stats import binom

    n = np.asarray(n, dtype=float)
    q = (1 - coverage) / 2
    return binom.ppf(q, n, p) / n, binom.ppf(1 - q, n, p) / n


last_day = months.last_day


def window_end(yield_type: str, month: date, w: int) -> date:
    """The day the window of the whole cohort month ends (SPEC §6.2)."""
    target = last_day(add_months(month, w))
    if yield_type == "flag":
        return target  # last day of month M + W
    return target.replace(day=min(last_day(month).day, target.day))  # last start + W months


def follow_up_complete(end: date, register_complete: date | None) -> bool:
    return register_complete is not None and end <= register_complete


def _types(ctx: Context) -> list[str]:
    if "cancer_diagnoses" not in ctx.present:
        return []
    return (["pathway"] if "referrals" in ctx.present else []) + ["flag"]


def collect(ctx: Context, cells: Cells) -> dict:
    cfg, con = ctx.cfg, ctx.con
    sql.execute(con, "yield_members", windows=list(cfg.windows))
    counts = sql.query(con, "yield_counts", first=ctx.first, last=ctx.month)
    sites = sql.query(con, "yield_sites", first=ctx.first, last=ctx.month)
    plan = []
    for t in _types(ctx):
        q = COHORT_QUANTITY[t]
        for w in cfg.windows:
            ends = {m: window_end(t, m, w) for m in ctx.months}
            done = [m for m in ctx.months if follow_up_complete(ends[m], ctx.cancer_complete)]
            c = counts[(counts.yield_type == t) & (counts.w == w)]
            cq = f"cancers:{t}:{w}"
            for m in done:
                k = cells.add(key(cq, ym(m)), c.loc[c.month == pd.Timestamp(m), "cancers"].sum())
                cells.add_share(k, key(q, ym(m)))
            n_roll = settings.load().rolling_months
            prev = previous_months(done, n_roll) if w == cfg.headline_window else []
            done = done[-n_roll:]  # the rolling headline pool
            p = period(done[0], done[-1]) if done else None
            p0 = period(prev[0], prev[-1]) if prev else None
            if p0:  # the previous pool (the summary's arrow): region only
                total0 = cells.add(key(cq, p0), sum(cells.values[key(cq, ym(m))] for m in prev),
                                   optional=f"{PREVIOUS} {t}")
                cells.add_group(total0, [key(cq, ym(m)) for m in prev])
                _pool(cells, q, p0, prev, [], optional=f"{PREVIOUS} {t}")
                cells.add_share(total0, key(q, p0))
            if p:
                cm = c[c.month.isin([pd.Timestamp(m) for m in done])]
                # unit rows (the funnel) at the headline window only: pooled unit totals
                # over several nested periods would let their differences reveal months
                units = _units(cells, q, done) if w == cfg.headline_window else []
                by_unit = cm.groupby("care_unit_id")["cancers"].sum().reindex(units, fill_value=0)
                total = cells.add(key(cq, p), sum(cells.values[key(cq, ym(m))] for m in done))
                cells.add_group(total, [key(cq, ym(m)) for m in done])
                _pool(cells, q, p, done, units)
                ukeys = [cells.add(key(cq, p, "care_unit", u), v) for u, v in by_unit.items()]
                cells.add_group(total, ukeys)
                for k in [total, *ukeys]:
                    cells.add_share(k, (q, *k[1:]))
                if w == cfg.headline_window:
                    s = sites[(sites.yield_type == t) & (sites.w == w)
                              & sites.month.isin([pd.Timestamp(m) for m in done])]
                    s = s.groupby("group_id")["cancers"].sum()
                    for g, v in s.items():
                        cells.add(key(f"site:{t}:{w}:{g}", p, "site", g), v)
                    # sites: published rounded to 5 like every rolling count (no relation)
            plan.append({"type": t, "w": w, "ends": ends, "done": done, "period": p, "prev": p0,
                         "prev_end": ends[prev[-1]] if prev else None,
                         "units": _units(cells, q, done) if w == cfg.headline_window else []})
    return {"plan": plan, "missed": _collect_missed(ctx, cells)}


def previous_months(done: list[date], n: int) -> list[date]:
    """The n months just before the last n of `done` (ascending), when all n are in `done`:
    the previous, non-overlapping pool of a rolling figure; else []."""
    if len(done) < 2 * n:
        return []
    first = done[-n]
    prev = [m for m in done if add_months(first, -n) <= m < first]
    return prev if len(prev) == n else []


def _units(cells: Cells, q: str, months: list[date]) -> list[str]:
    wanted = {ym(m) for m in months}
    return sorted({k[3] for k in cells.values if k[0] == q and k[2] == "care_unit" and k[1] in wanted})


def _pool(cells: Cells, q: str, p: str, months: list[date], units: list[str],
          optional: str | None = None) -> None:
    """Pooled cohort sizes: the sum of the monthly cells, region and per unit."""
    total_val = sum(cells.values[key(q, ym(m))] for m in months)
    total = cells.add(key(q, p), total_val, optional=optional)
    cells.add_group(total, [key(q, ym(m)) for m in months])
    ukeys = []
    for u in units:
        mkeys = [key(q, ym(m), "care_unit", u) for m in months if key(q, ym(m), "care_unit", u) in cells.values]
        uk = cells.add(key(q, p, "care_unit", u), sum(cells.values[k] for k in mkeys))
        cells.add_group(uk, mkeys)
        ukeys.append(uk)
    cells.add_group(total, ukeys)


def _collect_missed(ctx: Context, cells: Cells) -> dict | None:
    cfg = ctx.cfg
    if "cancer_diagnoses" not in ctx.present or ctx.cancer_complete is None:
        return None
    start = add_months(ctx.month, -(cfg.missed_period_months - 1))
    end = min(last_day(ctx.month), ctx.cancer_complete)
    if end < start:
        return None
    r = sql.query(ctx.con, "missed", period_from=start, period_to=end,
                  lookback=cfg.missed_lookback_months).iloc[0]
    p = f"{start.isoformat()}/{end.isoformat()}"
    lead_days = r.lead_days
    lead = np.asarray([] if lead_days is None or lead_days is pd.NA else list(lead_days), dtype=float)
    cancers = cells.add(key("missed:cancers", p), r.cancers)
    on_list = cells.add(key("missed:on_list_before", p), r.on_list_before)
    total = cells.add(key("missed:never_referred", p), r.never_referred)
    cells.add_share(on_list, cancers)
    cells.add_share(total, on_list)
    bins = []
    for lo, hi in LEAD_BINS:
        inside = (lead >= lo) & (lead <= (hi if hi is not None else np.inf))
        bins.append(cells.add(key(f"missed:lead_{lo}_{hi or 'more'}", p), int(inside.sum())))
    cells.add_group(total, bins)
    return {"period": p, "median": float(np.median(lead)) if lead.size else None, "bins": bins}


def release(ctx: Context, cells: Cells, raw: dict) -> dict[str, pd.DataFrame]:
    cfg = ctx.cfg
    rows, site_rows = [], []
    for pl in raw["plan"]:
        t, w, q = pl["type"], pl["w"], COHORT_QUANTITY[pl["type"]]
        cq = f"cancers:{t}:{w}"
        for m in ctx.months:
            complete = follow_up_complete(pl["ends"][m], ctx.cancer_complete)
            rows.append(_yield_row(ctx, cells, t, w, ym(m), *REGION, key(q, ym(m)),
                                   key(cq, ym(m)) if complete and key(cq, ym(m)) in cells.values
                                   else None, pl["ends"][m]))
        if pl["prev"]:
            rows.append(_yield_row(ctx, cells, t, w, pl["prev"], *REGION, key(q, pl["prev"]),
                                   key(cq, pl["prev"]), pl["prev_end"], True))
        if pl["period"]:
            p, end = pl["period"], pl["ends"][pl["done"][-1]]
            rows.append(_yield_row(ctx, cells, t, w, p, *REGION, key(q, p), key(cq, p), end, True))
            for u in pl["units"]:
                rows.append(_yield_row(ctx, cells, t, w, p, "care_unit", u, key(q, p, "care_unit", u),
                                       key(cq, p, "care_unit", u), end, True))
            if w == cfg.headline_window:
                for g in cfg.cancer_groups:
                    k = key(f"site:{t}:{w}:{g['group_id']}", p, "site", g["group_id"])
                    if k in cells.values:
                        v, s = cells.get(k)
                        site_rows.append({"yield_type": t, "window_months": w, "period": p,
                                          "site_group": g["group_id"],
                                          "icd10": f"{g['code_from']}-{g['code_to']}",
                                          "cancers": settings.round_count(v, settings.load().round_to),
                                          "suppressed": s})
    cols = ["yield_type", "window_months", "period", "group_type", "group", "follow_up_complete",
            "window_end", "n", "cancers", "yield", "ci_low", "ci_high", "verdict", "suppressed", "pooled"]
    site_cols = ["yield_type", "window_months", "period", "site_group", "icd10", "cancers", "suppressed"]
    flags = {"follow_up_complete": bool, "suppressed": bool, "pooled": bool, "period": str, "group_type": str}
    return {"yield": pd.DataFrame(rows, columns=cols).astype(flags),
            "yield_sites": pd.DataFrame(site_rows, columns=site_cols).astype({"suppressed": bool}),
            "missed_opportunities": _release_missed(cells, raw["missed"])}


def _yield_row(ctx, cells, t, w, p, gt, g, nkey, ckey, end, rolling: bool = False) -> dict:
    """One yield.csv row. A rolling pooled row publishes its counts rounded (settings
    rolling_round_to) and computes yield, interval and verdict from the rounded counts, so
    that subtracting consecutive monthly releases reveals no month (docs/report.md)."""
    cfg = ctx.cfg
    n, n_s = cells.get(nkey)
    row = {"yield_type": t, "window_months": w, "period": p, "group_type": gt, "group": g,
           "follow_up_complete": ckey is not None, "window_end": end.isoformat(),
           "n": n, "cancers": None, "yield": None, "ci_low": None, "ci_high": None,
           "verdict": "follow_up_incomplete", "suppressed": n_s, "pooled": rolling}
    if ckey is None:
        return row
    c, c_s = cells.get(ckey)
    true_n, true_c = cells.values[nkey], cells.values[ckey]
    if rolling:
        base = settings.load().round_to
        n, c = settings.round_count(n, base), settings.round_count(c, base)
        row["n"] = n
        true_n, true_c = settings.round_count(true_n, base), settings.round_count(true_c, base)
    if true_n:
        lo, hi = wilson(true_c, true_n, cfg.alpha)
        row["verdict"] = judge(t, true_n, lo, hi, cfg)
    else:
        lo = hi = None
        row["verdict"] = "too_few"
    row.update(cancers=c, suppressed=n_s or c_s)
    if row["suppressed"]:
        # a verdict can pin a hidden count down (n = 36, "below" => 1 cancer): hide it too
        row["verdict"] = "suppressed"
    elif true_n:
        row.update({"yield": round(true_c / true_n, 4), "ci_low": round(lo, 4), "ci_high": round(hi, 4)})
    return row


def _release_missed(cells: Cells, raw: dict | None) -> pd.DataFrame:
    cols = ["item", "period", "value", "suppressed"]
    if raw is None:
        return pd.DataFrame([], columns=cols)
    p, rows = raw["period"], []
    items = ["cancers", "on_list_before", "never_referred"] + [k[0].split(":", 1)[1] for k in raw["bins"]]
    for item in items:
        v, s = cells.get(key("missed:" + item, p))
        rows.append({"item": item, "period": p, "value": v, "suppressed": s})
    n, n_s = cells.get(key("missed:never_referred", p))
    med = raw["median"] if (not n_s and n) else None
    rows.insert(3, {"item": "median_lead_days", "period": p, "value": med, "suppressed": n_s})
    df = pd.DataFrame(rows, columns=cols)
    df["value"] = pd.Series([r["value"] for r in rows], dtype=object)  # counts stay integers
    return df
