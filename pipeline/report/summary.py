"""The one-screen summary ("Sammanfattning", issue 12): the five numbers of the month with
their verdicts, trend arrows and links, drawn only from the releasable tables."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .. import months
from . import settings
from .context import Context, ym
from .views import Builder, Cell
from .yield_ import wilson


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


ARROW_KEY = {"↑": "up", "↓": "down", "→": "flat"}


def arrow(prev: float, lo: float, hi: float) -> str:
    """The rule stated in the report (sum_arrow_rule): ↑ when the previous pool's value lies
    below the current pool's 95 % interval, ↓ when above it, → (unchanged) inside it."""
    return "↑" if prev < lo else "↓" if prev > hi else "→"


def previous_pool(periods: pd.Series, now: str) -> int | None:
    """The index of the pooled period of the same length that ends just before `now` starts
    (the non-overlapping previous pool), or None."""
    a, z = (months.parse(x) for x in now.split("/"))
    want = f"{ym(months.add(a, -(months.index(z) - months.index(a) + 1)))}/{ym(months.add(a, -1))}"
    hit = periods.index[periods == want]
    return hit[0] if len(hit) else None


def interval(num, den, scale: float = 1.0) -> tuple[float, float] | None:
    """The 95 % Wilson interval of num/den (the published, rounded counts), times scale."""
    if num is None or den is None or pd.isna(num) or pd.isna(den) or not den or num > den:
        return None
    lo, hi = wilson(int(num), int(den))
    return lo * scale, hi * scale


def pool_arrow(b: Builder, df: pd.DataFrame, col: str, i, j, ci: tuple | None,
               fmt) -> tuple[str, str]:
    """Arrow and its text for pooled row i of df against the previous pool j (value column
    `col`, current interval `ci`): both published and unsuppressed, else "no comparison"
    with the reason. `fmt` formats a value as the card shows it."""
    if j is None:
        return "", b.msg("sum_nocmp_short", n=2 * settings.load().rolling_months)
    now, prev = df.at[i, col], df.at[j, col]
    if df.at[i, "suppressed"] or df.at[j, "suppressed"] or pd.isna(now) or pd.isna(prev) or ci is None:
        return "", b.msg("sum_nocmp_suppressed")
    a = arrow(float(prev), *ci)
    per = df.at[j, "period" if "period" in df.columns else "month"].replace("/", " – ")
    return a, b.msg("sum_arrow_" + ARROW_KEY[a], prev=fmt(float(prev)), period=per)


def _pct(b: Builder):
    return lambda v: b.msg.number(v * 100, 1) + "\u00a0%"


def _rate_item(b: Builder, ctx: Context, measure: str, label: str, link: str) -> Item:
    """The report month's rate, when no rolling 12-month figure exists (fewer than 12 months)."""
    m = ym(ctx.month)
    i = b.measure_idx(measure, m)
    value = b.num("measures", i, "ratio", 2) if i is not None else Cell("–")
    return Item(b.msg(label), value, m, "", "info", "",
                b.msg("sum_nocmp_short", n=2 * settings.load().rolling_months), link)


def _rolling_rate_item(b: Builder, measure: str, label: str, unit: str) -> Item | None:
    """Review episodes or AOS starts in the last 12 months per 1,000 listed adults (a month
    alone is often 1-4), the arrow against the 12 months before."""
    df = b.t["measures"]
    hit = df.index[(df.measure == measure) & (df.group_type == "region")]
    if not len(hit):
        return None
    i = max(hit, key=lambda i: df.at[i, "month"])
    ci = interval(df.at[i, "numerator"], df.at[i, "denominator"], 1000)
    a, a_text = pool_arrow(b, df, "ratio", i, previous_pool(df.month[hit], df.at[i, "month"]), ci,
                           lambda v: b.msg.number(v, 2))
    detail = b.msg("sum_rate_detail", num=b.num("measures", i, "numerator").text, what=b.msg(unit),
                   period=df.at[i, "month"].replace("/", " – "))
    return Item(b.msg(label), b.num("measures", i, "ratio", 2), detail, "", "info", a, a_text,
                "#headline")


def _yield_item(b: Builder, ctx: Context, t: str) -> Item:
    y, w = b.t["yield"], ctx.cfg.headline_window
    hit = y.index[(y.yield_type == t) & (y.window_months == w) & (y.group_type == "region")
                  & y.pooled]
    label = b.msg("sum_yield_" + t, w=w)
    if not len(hit):
        return Item(label, Cell("–"), b.msg("sum_no_complete"), "", "info", "", "", "#yield")
    i = max(hit, key=lambda i: y.at[i, "period"])
    ci = None if pd.isna(y.at[i, "ci_low"]) else (y.at[i, "ci_low"], y.at[i, "ci_high"])
    a, a_text = pool_arrow(b, y, "yield", i, previous_pool(y.period[hit], y.at[i, "period"]), ci,
                           _pct(b))
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
    a, a_text = pool_arrow(b, df, "ratio", i, previous_pool(df.month[hit], df.at[i, "month"]),
                           interval(df.at[i, "numerator"], df.at[i, "denominator"]), _pct(b))
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
    out = [_rolling_rate_item(b, "new_episodes_12m_per_1000", "sum_new_episodes_12m", "sum_unit_episodes")
           or _rate_item(b, ctx, "new_episodes_per_1000", "sum_new_episodes", "#headline"),
           _rolling_rate_item(b, "aos_starts_12m_per_1000", "sum_aos_starts_12m", "sum_unit_starts")
           or _rate_item(b, ctx, "aos_starts_per_1000", "sum_aos_starts", "#headline"),
           _yield_item(b, ctx, "pathway"), _yield_item(b, ctx, "flag"),
           _share_item(b, ctx, "closed_within_target_share",
                       "sum_lead_time", "#pathway", settings.load().lead_target_share),
           _share_item(b, ctx, "aos_route_share", "sum_route_share", "#pathway")]
    return [i for i in out if i is not None]
