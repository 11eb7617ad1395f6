"""Figures (matplotlib, Agg), drawn only from the releasable tables.

Each figure is a function `f(tables, lang="sv", ...) -> Figure` that an analyst can call and
restyle (pipeline.api returns them); the report saves them with `save`. A series with
suppressed cells is never drawn from its visible cells alone (SPEC v1.1 §6.5): its line breaks
at each suppressed point, which is marked (gid "suppressed") on the axis, and yields also show
the rolling 12-month pooled value.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from . import config, settings  # noqa: E402
from .messages import Messages  # noqa: E402
from .yield_ import funnel_limits  # noqa: E402

DPI = 110
MIN_DECILE_UNITS = 10  # decile bands only with at least 10 units (issue 12)
SUP = "suppressed"  # gid of the markers of suppressed points


def save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, metadata={"Software": None})
    return path


def _empty(ax, msg: Messages) -> None:
    ax.text(0.5, 0.5, msg("fig_no_data"), ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _months_axis(ax, months: list[str]) -> None:
    ax.set_xticks(range(len(months)), months, rotation=60, fontsize=7)
    ax.grid(alpha=0.3)


def series(ax, months: list[str], d: pd.DataFrame, x_col: str, y_col: str, style: str, label: str,
           scale: float = 1.0, msg: Messages | None = None, **kw):
    """Draw one monthly series on positions 0..len(months)-1: NaN (a broken line) at suppressed
    points, which are marked with an 'x' at the bottom of the axes."""
    d = d.set_index(x_col).reindex(months)
    sup = d["suppressed"].fillna(False).astype(bool).to_numpy()
    y = pd.to_numeric(d[y_col], errors="coerce").to_numpy(dtype=float) * scale
    y[sup] = np.nan
    (line,) = ax.plot(range(len(months)), y, style, label=label, markersize=3, **kw)
    xs = np.flatnonzero(sup)
    if xs.size:
        ax.scatter(xs, np.full(xs.size, 0.03), marker="x", s=22, color=line.get_color(),
                   transform=ax.get_xaxis_transform(), gid=f"{SUP}:{label}", clip_on=False,
                   label=msg("fig_suppressed") if msg else None)
    return line


def trend(tables: dict, lang: str = "sv") -> Figure:
    """Region: new review episodes and AOS starts per 1,000 listed adults, per month."""
    msg, m = Messages(lang), tables["measures"]
    fig = Figure(figsize=(8, 3.4))
    ax = fig.subplots()
    region = m[(m.group_type == "region") & ~m.pooled]
    months = sorted(region[region.measure == "listed_adults"].month.unique())
    if months:
        first = True
        for measure, style in (("new_episodes_per_1000", "-o"), ("aos_starts_per_1000", "--s")):
            d = region[region.measure == measure]
            series(ax, months, d, "month", "ratio", style, msg("m_" + measure),
                   msg=msg if first and d.suppressed.any() else None)
            first = first and not d.suppressed.any()
        _months_axis(ax, months)
        ax.set_ylabel(msg("fig_per_1000"))
        ax.legend(fontsize=8)
    else:
        _empty(ax, msg)
    ax.set_title(msg("fig_trend_title"), fontsize=10)
    return fig


def deciles(tables: dict, lang: str = "sv") -> Figure:
    """Care units' new review episodes per 1,000: decile bands (OpenPrescribing) with at least
    10 units, else one line per unit."""
    msg, m = Messages(lang), tables["measures"]
    fig = Figure(figsize=(8, 3.4))
    ax = fig.subplots()
    d = m[(m.measure == "new_episodes_per_1000") & (m.group_type == "care_unit")
          & ~m.pooled]
    months = sorted(d.month.unique())
    units = sorted(d.group.unique())
    if len(units) >= MIN_DECILE_UNITS:
        q = d.dropna(subset=["ratio"]).groupby("month")["ratio"].quantile(np.arange(1, 10) / 10).unstack()
        q = q.reindex(months)
        for dec in q.columns:
            median = abs(dec - 0.5) < 1e-9
            ax.plot(range(len(months)), q[dec], color="#1f4e79", linewidth=2 if median else 1,
                    linestyle="-" if median else "--", alpha=1 if median else 0.6,
                    label=msg("fig_median") if median else None)
        ax.plot([], [], color="#1f4e79", linestyle="--", alpha=0.6, label=msg("fig_deciles"))
        ax.set_title(msg("fig_deciles_title"), fontsize=10)
    elif units:
        marked = False
        for u in units:
            du = d[d.group == u]
            series(ax, months, du, "month", "ratio", "-o", u, linewidth=1,
                   msg=msg if du.suppressed.any() and not marked else None)
            marked = marked or du.suppressed.any()
        ax.set_title(msg("fig_deciles_title") + " – " + msg("fig_unit_lines"), fontsize=10)
    if units:
        _months_axis(ax, months)
        ax.set_ylabel(msg("fig_per_1000"))
        ax.legend(fontsize=7, ncol=2)
    else:
        _empty(ax, msg)
        ax.set_title(msg("fig_deciles_title"), fontsize=10)
    return fig


def _reference(ax, yield_type: str, msg: Messages, horizontal: bool = True) -> None:
    cfg = config.load()
    if yield_type == "pathway":
        ax.axhspan(cfg.band_low * 100, cfg.band_high * 100, color="#2e7d32", alpha=0.15,
                   label=msg("fig_band"))
    else:
        ax.axhline(settings.load().flag_reference * 100, color="#ef6c00", linewidth=1.2,
                   label=msg("fig_reference"))


def yield_trend(tables: dict, w: int | None = None, lang: str = "sv") -> Figure:
    """Monthly yield at window w (Wilson intervals), suppressed months marked, and the rolling
    12-month pooled yield; the pathway against its band, the flag against its reference."""
    msg, y = Messages(lang), tables["yield"]
    w = w or config.load().headline_window
    fig = Figure(figsize=(8, 5.2))
    axes = fig.subplots(2, 1, sharex=True)
    d = y[(y.window_months == w) & (y.group_type == "region")]
    months = sorted(d[~d.pooled].period.unique())
    for ax, t in zip(axes, ("pathway", "flag")):
        g = d[(d.yield_type == t) & ~d.pooled & d.follow_up_complete.astype(bool)]
        if not len(g):
            _empty(ax, msg)
            ax.set_title(msg("yield_type_" + t), fontsize=9)
            continue
        _reference(ax, t, msg)
        shown = g[~g.suppressed.astype(bool)].dropna(subset=["yield"])
        x = [months.index(p) for p in shown.period]
        ax.errorbar(x, shown["yield"] * 100, yerr=[(shown["yield"] - shown.ci_low) * 100,
                    (shown.ci_high - shown["yield"]) * 100], fmt="o", capsize=2, markersize=3,
                    label=msg("yield_type_" + t))
        hidden = [months.index(p) for p in g[g.suppressed.astype(bool)].period]
        if hidden:
            ax.scatter(hidden, [0.03] * len(hidden), marker="x", s=22, color="#8a4b00", gid=SUP,
                       transform=ax.get_xaxis_transform(), clip_on=False, label=msg("fig_suppressed"))
        pooled = d[(d.yield_type == t) & d.pooled].dropna(subset=["yield"])
        for _, r in pooled.iterrows():
            a, b = r["period"].split("/")
            if a in months and b in months:
                xs = [months.index(a), months.index(b)]
                ax.plot(xs, [r["yield"] * 100] * 2, color="#1f4e79", linewidth=2.5, gid="pooled",
                        label=msg("fig_rolling"))
                ax.fill_between(xs, r["ci_low"] * 100, r["ci_high"] * 100, color="#1f4e79", alpha=0.12)
        ax.set_ylabel("%")
        ax.set_title(msg("yield_type_" + t), fontsize=9)
        ax.legend(fontsize=7, loc="upper right")
        ax.set_ylim(bottom=0)
    _months_axis(axes[1], months)
    axes[0].grid(alpha=0.3)
    fig.suptitle(msg("fig_yield_title", w=w), fontsize=10)
    return fig


def funnel(tables: dict, w: int | None = None, lang: str = "sv") -> Figure:
    """Funnel plots (12-month pooled, care units): exact binomial 95 % and 99.8 % limits
    (Spiegelhalter 2005) around the pathway band and around the flag reference."""
    msg, y = Messages(lang), tables["yield"]
    cfg = config.load()
    w = w or cfg.headline_window
    fig = Figure(figsize=(8, 6.4))
    axes = fig.subplots(2, 1)
    for ax, t in zip(axes, ("pathway", "flag")):
        d = y[(y.window_months == w) & (y.group_type == "care_unit") & (y.yield_type == t)]
        d = d.dropna(subset=["yield"])
        n_max = max(20.0, float(d.n.max()) * 1.1) if len(d) else 100.0
        n = np.arange(5, int(n_max) + 1)
        _reference(ax, t, msg)
        lo_p, hi_p = (cfg.band_low, cfg.band_high) if t == "pathway" else (settings.load().flag_reference,) * 2
        for cov, style, key in ((0.95, "--", "fig_limits_95"), (0.998, ":", "fig_limits_998")):
            lo, _ = funnel_limits(n, lo_p, cov)
            _, hi = funnel_limits(n, hi_p, cov)
            ax.step(n, lo * 100, "k" + style, linewidth=0.8, where="mid", label=msg(key), gid=f"limit_{cov}")
            ax.step(n, hi * 100, "k" + style, linewidth=0.8, where="mid", gid=f"limit_{cov}")
        if len(d):
            ax.scatter(d.n, d["yield"] * 100, s=18, color="#1f4e79", zorder=3, label=msg("yield_type_" + t))
        ax.set_xlabel(msg("fig_cohort_size"))
        ax.set_ylabel("%")
        top = max(hi_p * 100 * 3, float(d["yield"].max() * 110) if len(d) else 0)
        ax.set_ylim(0, min(100, top))
        ax.legend(fontsize=7, loc="upper right")
        ax.grid(alpha=0.3)
        ax.set_title(msg("yield_type_" + t), fontsize=9)
    fig.suptitle(msg("fig_funnel_title", w=w), fontsize=10)
    return fig


def criteria(tables: dict, month: str, lang: str = "sv") -> Figure:
    """Patients meeting each criterion in `month`, per 1,000 listed adults; suppressed marked."""
    msg, m = Messages(lang), tables["measures"]
    d = m[(m.measure == "criterion_per_1000") & (m.month == month)].copy()
    d["r"] = pd.to_numeric(d.ratio, errors="coerce").fillna(0)
    d = d.sort_values("r")
    fig = Figure(figsize=(8, max(2.5, 0.3 * len(d) + 1)))
    ax = fig.subplots()
    if len(d):
        labels = [msg.get("criterion_" + g, g) for g in d.group]
        ax.barh(labels, d.r, color="#1f4e79")
        for i, s in enumerate(d.suppressed.astype(bool)):
            if s:
                ax.text(0, i, " " + msg("suppressed_mark"), va="center", fontsize=8, color="#8a4b00", gid=SUP)
        ax.set_xlabel(msg("fig_per_1000"))
        ax.grid(alpha=0.3, axis="x")
    else:
        _empty(ax, msg)
    ax.set_title(msg("fig_criteria_title", month=month), fontsize=10)
    return fig


def overlap(tables: dict, month: str, lang: str = "sv") -> Figure:
    """Criteria overlap as one matrix: share of the review list meeting both criteria of each
    pair; suppressed cells hatched and marked."""
    msg, m = Messages(lang), tables["measures"]
    d = m[(m.measure == "criteria_pair_share") & (m.month == month)]
    crit = sorted({c for g in d.group for c in g.split("+")})
    fig = Figure(figsize=(8, max(3.0, 0.45 * len(crit) + 1.5)))
    ax = fig.subplots()
    if not crit:
        _empty(ax, msg)
    else:
        idx = {c: i for i, c in enumerate(crit)}
        mat = np.full((len(crit), len(crit)), np.nan)
        for r in d.itertuples(index=False):
            a, b = r.group.split("+")
            i, j = sorted((idx[a], idx[b]))
            if r.suppressed:
                ax.add_patch(Rectangle((i - .5, j - .5), 1, 1, fill=False, hatch="///",
                                                          edgecolor="#8a4b00", linewidth=0, gid=SUP))
                ax.text(i, j, msg("suppressed_mark"), ha="center", va="center", fontsize=6, color="#8a4b00")
            elif r.ratio is not None and not pd.isna(r.ratio):
                mat[j, i] = float(r.ratio) * 100
                ax.text(i, j, msg.number(float(r.ratio) * 100, 0), ha="center", va="center", fontsize=6)
        im = ax.imshow(mat, cmap="Blues", vmin=0, origin="upper")
        fig.colorbar(im, ax=ax, label="%")
        labels = [msg.get("criterion_" + c, c) for c in crit]
        ax.set_xticks(range(len(crit)), labels, rotation=60, ha="right", fontsize=7)
        ax.set_yticks(range(len(crit)), labels, fontsize=7)
    ax.set_title(msg("fig_overlap_title", month=month), fontsize=10)
    return fig
