"""The one-screen summary ("Sammanfattning", issue 12): the five numbers of the month with
their verdicts, trend arrows and links, drawn only from the releasable tables."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .. import months
from . import settings
from .context import Context, ym
from .views import Builder, Cell

TREND_MONTHS = 12  # the arrow compares the month with the mean of the 12 months before


@dataclass
class Item:
    label: str
    value: Cell
    detail: str  # interval and period, or ""
    verdict: str
    tone: str  # ok | warn | info
    arrow: str  # ↑ ↓ → or ""
    arrow_text: str
    link: str


def arrow(now: float | None, before: list[float], tol: float = 0.05) -> str:
    """↑ / ↓ when the value differs from the mean of `before` by more than tol (relative)."""
    before = [b for b in before if b is not None and not pd.isna(b)]
    if now is None or pd.isna(now) or not before:
        return ""
    ref = sum(before) / len(before)
    if ref == 0:
        return "→" if now == 0 else "↑"
    change = (now - ref) / ref
    return "↑" if change > tol else "↓" if change < -tol else "→"


ARROW_KEY = {"↑": "up", "↓": "down", "→": "flat"}


def previous_pool(periods: pd.Series, now: str) -> int | None:
    """The index of the pooled period of the same length that ends just before `now` starts
    (the non-overlapping previous pool), or None."""
    a, z = (months.parse(x) for x in now.split("/"))
    want = f"{ym(months.add(a, -(months.index(z) - months.index(a) + 1)))}/{ym(months.add(a, -1))}"
    hit = periods.index[periods == want]
    return hit[0] if len(hit) else None


def pool_arrow(b: Builder, ratios: pd.Series, suppressed: pd.Series, i, j) -> tuple[str, str]:
    """Arrow and its text for pooled row i against the previous pool j: both published
    (counts rounded like the headline), else "no comparison" with the reason."""
    if j is None:
        return "", b.msg("sum_nocmp_short", n=2 * settings.load().rolling_months)
    if suppressed[i] or suppressed[j] or pd.isna(ratios[i]) or pd.isna(ratios[j]):
        return "", b.msg("sum_nocmp_suppressed")
    a = arrow(ratios[i], [ratios[j]])
    return a, b.msg("sum_arrow_" + ARROW_KEY[a])


def _rate_item(b: Builder, ctx: Context, measure: str, label: str, link: str) -> Item:
    df, m = b.t["measures"], ym(ctx.month)
    i = b.measure_idx(measure, m)
    value = b.num("measures", i, "ratio", 2) if i is not None else Cell("–")
    reg = df[(df.measure == measure) & (df.group_type == "region") & (df.month < m)
             & ~df.pooled].sort_values("month").tail(TREND_MONTHS)
    now = df.at[i, "ratio"] if i is not None else None
    a = arrow(now, reg.ratio.tolist())
    return Item(b.msg(label), value, b.msg("sum_per_1000_detail", month=m), "", "info", a,
                b.msg("sum_arrow_" + ARROW_KEY.get(a, "none")), link)


def _rolling_rate_item(b: Builder, ctx: Context) -> Item | None:
    """AOS starts in the last 12 months per 1,000 listed adults (a month alone is often 1-4),
    the arrow against the 12 months before."""
    df = b.t["measures"]
    hit = df.index[(df.measure == "aos_starts_12m_per_1000") & (df.group_type == "region")]
    if not len(hit):
        return None
    i = max(hit, key=lambda i: df.at[i, "month"])
    j = previous_pool(df.month[hit], df.at[i, "month"])
    a, a_text = pool_arrow(b, df.ratio, df.suppressed, i, j) if j is not None else ("", b.msg("sum_nocmp_overlap"))
    detail = b.msg("sum_starts_detail", num=b.num("measures", i, "numerator").text,
                   period=df.at[i, "month"].replace("/", " – "))
    return Item(b.msg("sum_aos_starts_12m"), b.num("measures", i, "ratio", 2), detail, "", "info", a,
                a_text, "#headline")


def _yield_item(b: Builder, ctx: Context, t: str) -> Item:
    y, w = b.t["yield"], ctx.cfg.headline_window
    hit = y.index[(y.yield_type == t) & (y.window_months == w) & (y.group_type == "region")
                  & y.pooled]
    label = b.msg("sum_yield_" + t, w=w)
    if not len(hit):
        return Item(label, Cell("–"), b.msg("sum_no_complete"), "", "info", "", "", "#yield")
    i = max(hit, key=lambda i: y.at[i, "period"])
    a, a_text = pool_arrow(b, y["yield"], y.suppressed, i, previous_pool(y.period[hit], y.at[i, "period"]))
    v = y.at[i, "verdict"]
    detail = b.msg("sum_ci", lo=b.num("yield", i, "ci_low", 1, pct=True).text,
                   hi=b.num("yield", i, "ci_high", 1, pct=True).text,
                   n=b.num("yield", i, "n").text, period=y.at[i, "period"].replace("/", " – "))
    if y.at[i, "suppressed"]:
        detail = b.msg("sum_period", period=y.at[i, "period"].replace("/", " – "))
    # green/red only for the pathway band; the flag yield against its reference is neither
    # good nor bad (a flag yield under 3 % is the expected state of a screening list)
    tone = {"consistent": "ok", "above": "info", "below": "warn"}.get(v, "info")
    return Item(label, b.num("yield", i, "yield", 1, pct=True), detail,
                b.msg("verdict_" + v), tone, a, a_text, "#yield")


def _share_item(b: Builder, ctx: Context, measure: str, label: str, link: str,
                target: float | None = None) -> Item | None:
    df = b.t["measures"]
    hit = df.index[(df.measure == measure) & (df.group_type == "region") & df.pooled]
    if not len(hit):
        return None
    i = max(hit, key=lambda i: df.at[i, "month"])
    a, a_text = pool_arrow(b, df.ratio, df.suppressed, i, previous_pool(df.month[hit], df.at[i, "month"]))
    r, p = df.at[i, "ratio"], df.at[i, "month"].replace("/", " – ")
    verdict, tone = "", "info"
    if target is not None and r is not None and not pd.isna(r):
        met = r >= target
        verdict, tone = b.msg("sum_target_met" if met else "sum_target_not_met",
                              target=round(target * 100)), "ok" if met else "warn"
    detail = b.msg("sum_share_detail", num=b.num("measures", i, "numerator").text,
                   den=b.num("measures", i, "denominator").text, period=p)
    return Item(b.msg(label), b.num("measures", i, "ratio", 1, pct=True), detail, verdict, tone,
                a, a_text, link)


def items(b: Builder, ctx: Context) -> list[Item]:
    out = [_rate_item(b, ctx, "new_episodes_per_1000", "sum_new_episodes", "#headline"),
           _rolling_rate_item(b, ctx) or _rate_item(b, ctx, "aos_starts_per_1000", "sum_aos_starts", "#headline"),
           _yield_item(b, ctx, "pathway"), _yield_item(b, ctx, "flag"),
           _share_item(b, ctx, "closed_within_target_share",
                       "sum_lead_time", "#pathway", settings.load().lead_target_share),
           _share_item(b, ctx, "aos_route_share", "sum_route_share", "#pathway")]
    return [i for i in out if i is not None]
