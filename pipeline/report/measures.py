"""SPEC §6.1 measures: listed adults, review episodes, AOS starts, criteria and overlap."""
from __future__ import annotations

from . import sql
from .cells import Cells
from .context import REGION, Context, ym

UNIT_QUANTITIES = ("listed_adults", "on_review_list", "new_episodes", "aos_starts")
PER_1000 = {"new_episodes_per_1000": "new_episodes", "on_review_list_per_1000": "on_review_list",
            "aos_starts_per_1000": "aos_starts"}


def key(quantity: str, period: str, group_type: str = REGION[0], group: str = REGION[1]):
    return (quantity, period, group_type, group)


def row(cells: Cells, measure: str, period: str, group_type: str, group: str,
        num=None, den=None, scale: float = 1.0, ratio=None, pooled: bool = False) -> dict:
    """One measures.csv row; the ratio is blank when either count is suppressed. `pooled`
    marks a period of several months (the flag, not the period's text, says so)."""
    n, n_s = cells.get(num) if num else (None, False)
    d, d_s = cells.get(den) if den else (None, False)
    suppressed = n_s or d_s
    if ratio is None and num and den and not suppressed and d:
        ratio = n / d * scale
    if suppressed:
        ratio = None
    return {"measure": measure, "month": period, "group_type": group_type, "group": group,
            "numerator": n, "denominator": d,
            "ratio": None if ratio is None else round(float(ratio), 4), "suppressed": suppressed,
            "pooled": pooled}


def collect(ctx: Context, cells: Cells) -> dict:
    con, first, last = ctx.con, ctx.first, ctx.month
    units = sql.query(con, "counts_by_unit", first=first, last=last)
    for r in units.itertuples(index=False):  # a few hundred aggregate rows, not patients
        for q in UNIT_QUANTITIES:
            cells.add(key(q, ym(r.month), "care_unit", r.care_unit_id), getattr(r, q))
    for month, grp in units.groupby("month"):
        for q in UNIT_QUANTITIES:
            total = cells.add(key(q, ym(month)), grp[q].sum())
            cells.add_group(total, [key(q, ym(month), "care_unit", u) for u in grp.care_unit_id])
        for gt, g in [REGION] + [("care_unit", u) for u in grp.care_unit_id]:
            for q in PER_1000.values():
                cells.add_share(key(q, ym(month), gt, g), key("listed_adults", ym(month), gt, g))
    crit = sql.query(con, "criteria", first=first, last=last)
    for r in crit.itertuples(index=False):
        k = cells.add(key("criterion:" + r.criterion, ym(r.month), "criterion", r.criterion), r.patients)
        cells.add_share(k, key("listed_adults", ym(r.month)))
    pairs = sql.query(con, "criteria_pairs", last=last)
    for r in pairs.itertuples(index=False):
        g = f"{r.criterion_a}+{r.criterion_b}"
        k = cells.add(key("pair:" + g, ym(last), "criteria_pair", g), r.patients)
        cells.add_share(k, key("on_review_list", ym(last)))
    referred = None
    if "referrals" in ctx.present and ctx.data_complete:
        referred = sql.query(con, "referred_within", first=first, last=last,
                             days=ctx.cfg.referral_within_days, data_complete=ctx.data_complete)
        for r in referred.itertuples(index=False):
            k = cells.add(key("referred_within", ym(r.month)), r.referred)
            cells.add_share(k, key("new_episodes", ym(r.month)))
    return {"units": units, "criteria": crit, "pairs": pairs, "referred": referred}


def release(ctx: Context, cells: Cells, raw: dict) -> list[dict]:
    rows = []
    units = raw["units"]
    for month, grp in units.groupby("month"):
        p = ym(month)
        groups = [REGION] + [("care_unit", u) for u in sorted(grp.care_unit_id)]
        for gt, g in groups:
            rows.append(row(cells, "listed_adults", p, gt, g, num=key("listed_adults", p, gt, g)))
            for measure, q in PER_1000.items():
                rows.append(row(cells, measure, p, gt, g, num=key(q, p, gt, g),
                                den=key("listed_adults", p, gt, g), scale=1000))
    for r in raw["criteria"].itertuples(index=False):
        p = ym(r.month)
        rows.append(row(cells, "criterion_per_1000", p, "criterion", r.criterion,
                        num=key("criterion:" + r.criterion, p, "criterion", r.criterion),
                        den=key("listed_adults", p), scale=1000))
    p = ym(ctx.month)
    for r in raw["pairs"].itertuples(index=False):
        g = f"{r.criterion_a}+{r.criterion_b}"
        rows.append(row(cells, "criteria_pair_share", p, "criteria_pair", g,
                        num=key("pair:" + g, p, "criteria_pair", g), den=key("on_review_list", p)))
    if raw["referred"] is not None:
        for r in raw["referred"].itertuples(index=False):
            p = ym(r.month)
            rows.append(row(cells, "referred_within_share", p, *REGION,
                            num=key("referred_within", p), den=key("new_episodes", p)))
    return rows
