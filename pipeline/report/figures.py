"""Figures (matplotlib, Agg), drawn only from the releasable tables."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .messages import Messages  # noqa: E402

DPI = 110


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return path


def _empty(ax, msg: Messages) -> None:
    ax.text(0.5, 0.5, msg("fig_no_data"), ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def trend(measures: pd.DataFrame, msg: Messages, path: Path) -> Path:
    """Region: new review episodes and AOS starts per 1,000 listed adults, per month."""
    fig, ax = plt.subplots(figsize=(8, 3.4))
    region = measures[measures.group_type == "region"]
    drawn = False
    for measure, style in (("new_episodes_per_1000", "-o"), ("aos_starts_per_1000", "--s")):
        d = region[region.measure == measure].dropna(subset=["ratio"])
        if len(d):
            ax.plot(d.month, d.ratio, style, label=msg("m_" + measure), markersize=3)
            drawn = True
    if drawn:
        _style_monthly(ax, msg)
    else:
        _empty(ax, msg)
    ax.set_title(msg("fig_trend_title"), fontsize=10)
    return _save(fig, path)


def _style_monthly(ax, msg: Messages) -> None:
    """Axis styling shared by the per-1,000 monthly charts."""
    ax.set_ylabel(msg("fig_per_1000"))
    ax.legend(fontsize=8)
    ax.tick_params(axis="x", rotation=60, labelsize=7)
    ax.grid(alpha=0.3)


def deciles(measures: pd.DataFrame, msg: Messages, path: Path) -> Path:
    """OpenPrescribing-style deciles across care units: median solid, other deciles dashed."""
    fig, ax = plt.subplots(figsize=(8, 3.4))
    d = measures[(measures.measure == "new_episodes_per_1000") & (measures.group_type == "care_unit")]
    d = d.dropna(subset=["ratio"])
    if d.month.nunique() and d.groupby("month").size().max() >= 2:
        q = d.groupby("month")["ratio"].quantile(np.arange(1, 10) / 10).unstack()
        for dec in q.columns:
            median = abs(dec - 0.5) < 1e-9
            ax.plot(q.index, q[dec], color="#1f4e79", linewidth=2 if median else 1,
                    linestyle="-" if median else "--", alpha=1 if median else 0.6,
                    label=msg("fig_median") if median else None)
        ax.plot([], [], color="#1f4e79", linestyle="--", alpha=0.6, label=msg("fig_deciles"))
        _style_monthly(ax, msg)
    else:
        _empty(ax, msg)
    ax.set_title(msg("fig_deciles_title"), fontsize=10)
    return _save(fig, path)


def yield_trend(yld: pd.DataFrame, w: int, band: tuple[float, float], msg: Messages, path: Path) -> Path:
    """Monthly yield at the headline window with Wilson intervals and the expected band."""
    fig, ax = plt.subplots(figsize=(8, 3.4))
    ax.axhspan(band[0] * 100, band[1] * 100, color="#2e7d32", alpha=0.15, label=msg("fig_band"))
    d = yld[(yld.window_months == w) & (yld.group_type == "region") & ~yld.period.str.contains("/")]
    d = d.dropna(subset=["yield"])
    for t, g in d.groupby("yield_type"):
        ax.errorbar(g.period, g["yield"] * 100,
                    yerr=[(g["yield"] - g.ci_low) * 100, (g.ci_high - g["yield"]) * 100],
                    fmt="o", capsize=2, label=msg("yield_type_" + t))
    if len(d):
        ax.legend(fontsize=8)
        ax.set_ylabel("%")
        ax.tick_params(axis="x", rotation=60, labelsize=7)
        ax.grid(alpha=0.3)
    else:
        _empty(ax, msg)
    ax.set_title(msg("fig_yield_title", w=w), fontsize=10)
    return _save(fig, path)


def funnel(yld: pd.DataFrame, w: int, band: tuple[float, float], msg: Messages, path: Path) -> Path:
    """Funnel plot: unit yield against cohort size, band and 95 % limits around its edges."""
    fig, ax = plt.subplots(figsize=(8, 3.8))
    d = yld[(yld.window_months == w) & (yld.group_type == "care_unit")].dropna(subset=["yield"])
    n_max = max(20.0, float(d.n.max()) * 1.1) if len(d) else 100.0
    n = np.linspace(5, n_max, 200)
    ax.axhspan(band[0] * 100, band[1] * 100, color="#2e7d32", alpha=0.15, label=msg("fig_band"))
    lo = band[0] - 1.96 * np.sqrt(band[0] * (1 - band[0]) / n)
    hi = band[1] + 1.96 * np.sqrt(band[1] * (1 - band[1]) / n)
    ax.plot(n, np.clip(lo, 0, 1) * 100, "k--", linewidth=0.8, label=msg("fig_funnel_limits"))
    ax.plot(n, np.clip(hi, 0, 1) * 100, "k--", linewidth=0.8)
    for t, g in d.groupby("yield_type"):
        ax.scatter(g.n, g["yield"] * 100, s=18, label=msg("yield_type_" + t))
    ax.set_xlabel(msg("fig_cohort_size"))
    ax.set_ylabel("%")
    ax.set_ylim(0, max(60.0, float(d["yield"].max() * 110) if len(d) else 0))
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax.set_title(msg("fig_funnel_title", w=w), fontsize=10)
    return _save(fig, path)


def criteria(measures: pd.DataFrame, month: str, msg: Messages, path: Path) -> Path:
    """Patients meeting each criterion in the report month, per 1,000 listed adults."""
    d = measures[(measures.measure == "criterion_per_1000") & (measures.month == month)]
    d = d.dropna(subset=["ratio"]).sort_values("ratio")
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.3 * len(d) + 1)))
    if len(d):
        ax.barh([msg.get("criterion_" + g, g) for g in d.group], d.ratio, color="#1f4e79")
        ax.set_xlabel(msg("fig_per_1000"))
        ax.grid(alpha=0.3, axis="x")
    else:
        _empty(ax, msg)
    ax.set_title(msg("fig_criteria_title", month=month), fontsize=10)
    return _save(fig, path)
