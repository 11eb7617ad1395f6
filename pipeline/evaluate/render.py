"""Write evaluate's outputs: CSVs (suppressed), figures/*.png and a self-contained
evaluate.html with inline figures. The directory appears whole or not at all."""
from __future__ import annotations

import base64
import html
import json
import shutil
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .. import safetext  # noqa: E402
from .backtest import Backtest, band_answer, rule_label, suppression_rules  # noqa: E402
from .disclosure import secondary, suppress  # noqa: E402
from .model import ModelReport  # noqa: E402
from .settings import Settings, month_label  # noqa: E402

QCANCER_NOTE = (
    "For orientation only: QCancer-2013 (Hippisley-Cox & Coupland, BJGP 2013) reports 54–59 % "
    "of cancers diagnosed within two years in the top 10 % of risk, on UK QResearch data with "
    "BMI, smoking, alcohol, deprivation and 20+ coded symptoms. Ours differ in data (a Swedish "
    "primary-care extract, here synthetic), population (patient-months of adults who passed the "
    "exclusions), outcome (any cancer within 12 months, not 2 years) and features, so the "
    "figures are not comparable."
)


def suppressed_tables(bt: Backtest, rep: ModelReport, settings: Settings) -> dict[str, pd.DataFrame]:
    """Every CSV, after small-number suppression."""
    months = bt.followup.copy()
    months["month"] = pd.to_datetime(months["month"]).dt.strftime("%Y-%m")
    tables = {
        "backtest": suppress(bt.table, suppression_rules(settings)),
        "followup_months": months,
    }
    return {**tables, **model_tables(rep)}


def model_tables(rep: ModelReport) -> dict[str, pd.DataFrame]:
    """The model's tables, after small-number suppression (none when it was skipped)."""
    if rep.skipped:
        return {}
    return {
        "model_metrics": suppress(rep.metrics, {
            "n_train_cancer": [], "n_test_cancer": ["prevalence_test"]}),
        # deciles add up to the test set's cancers, which model_metrics shows
        "calibration": suppress(rep.calibration, {
            "n_cancer": ["observed", "observed_lo", "observed_hi"]}, also={
            "n_cancer": secondary(rep.calibration, "n_cancer", "model",
                                  rep.metrics.set_index("model")["n_test_cancer"].to_dict())}),
        "equal_workload": suppress(rep.equal_workload, {
            "n_flagged": ["flagged_per_1000", "n_cancer", "ppv_12m", "ppv_12m_lo", "ppv_12m_hi",
                          "sensitivity"],
            "n_cancer": ["ppv_12m", "ppv_12m_lo", "ppv_12m_hi", "sensitivity"],
            "n_positive": ["sensitivity"]}),
    }


def model_answer(tables: dict, k: int = 2) -> str:
    """One sentence: the rule at min_criteria k against each model at the same workload
    (from the suppressed equal-workload table, so a hidden count is never quoted)."""
    ew = tables.get("equal_workload")
    if ew is None or ew.empty or k not in set(ew["min_criteria"]):
        return ""
    d = ew[ew["min_criteria"] == k]
    rule = d[d["flagged_by"] == "rule"].iloc[0]

    def said(r) -> str:
        if r["sensitivity"] is None or pd.isna(r["sensitivity"]):
            return "too few cancers to show"
        return (f"{float(r['ppv_12m']) * 100:.1f} % with cancer within 12 months "
                f"({float(r['sensitivity']) * 100:.1f} % of the cancers)")

    parts = [f"{m['model'].replace('_', ' ')} {said(m)}"
             for _, m in d[d["flagged_by"] == "model"].iterrows()]
    return (f"At the review rule's workload (min_criteria = {k}: "
            f"{float(rule['flagged_per_1000']):.1f} flagged per 1,000 patient-months of the test "
            f"set), the rule's flags have {said(rule)}; the same number flagged by "
            + "; by ".join(parts) + ".")


# -- figures ------------------------------------------------------------------------

def fig_workload_yield(table: pd.DataFrame, settings: Settings):
    w = settings.headline_window_months
    ppv, lo, hi = f"ppv_{w}m", f"ppv_{w}m_lo", f"ppv_{w}m_hi"
    shown = table[pd.to_numeric(table[ppv], errors="coerce").notna()
                  & pd.to_numeric(table["episodes_per_1000"], errors="coerce").gt(0)]
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.axhspan(settings.expected_yield_low * 100, settings.expected_yield_high * 100,
               color="tab:green", alpha=0.15, label="expected 15–20 %")
    styles = {"pair": ("tab:gray", 0.35, "pairs of criteria"),
              "criterion": ("tab:blue", 0.8, "single criteria"),
              "min_criteria": ("tab:red", 1.0, "review rule, min_criteria k")}
    for kind, (colour, alpha, label) in styles.items():
        d = shown[shown["kind"] == kind].sort_values("episodes_per_1000")
        if d.empty:
            continue
        x = d["episodes_per_1000"].astype(float).to_numpy()
        y = d[ppv].astype(float).to_numpy() * 100
        err = np.vstack([y - d[lo].astype(float) * 100, d[hi].astype(float) * 100 - y])
        err = np.clip(np.nan_to_num(err), 0, None)
        ax.errorbar(x, y, yerr=err, fmt="o-" if kind == "min_criteria" else "o", color=colour,
                    alpha=alpha, ms=5 if kind != "pair" else 3, capsize=2, label=label,
                    lw=1.5 if kind == "min_criteria" else 0, elinewidth=0.8)
        if kind == "min_criteria":
            for xi, yi, k in zip(x, y, d["min_criteria"]):
                ax.annotate(f"k={int(k)}", (xi, yi), textcoords="offset points", xytext=(5, 5))
        if kind == "criterion":
            for xi, yi, c in zip(x, y, d["criteria"]):
                ax.annotate(str(c), (xi, yi), textcoords="offset points", xytext=(4, -10),
                            fontsize=7, color=colour)
    if len(shown):
        ax.set_xscale("log")
    ax.set_xlabel("new flags (episodes) per 1,000 eligible adults per month (log scale)")
    ax.set_ylabel(f"flag yield: cancer within {w} months (%)")
    ax.set_title("Workload against yield, with Wilson 95 % intervals")
    ax.legend(fontsize=8, loc="best")
    return fig


def fig_ppv_windows(table: pd.DataFrame, settings: Settings):
    d = table[table["kind"] == "min_criteria"]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.axhspan(settings.expected_yield_low * 100, settings.expected_yield_high * 100,
               color="tab:green", alpha=0.15)
    for i, w in enumerate(settings.windows_months):
        y = pd.to_numeric(d[f"ppv_{w}m"], errors="coerce").to_numpy(float) * 100
        lo = pd.to_numeric(d[f"ppv_{w}m_lo"], errors="coerce").to_numpy(float) * 100
        hi = pd.to_numeric(d[f"ppv_{w}m_hi"], errors="coerce").to_numpy(float) * 100
        x = d["min_criteria"].astype(float).to_numpy() + (i - 1) * 0.12
        err = np.clip(np.nan_to_num(np.vstack([y - lo, hi - y])), 0, None)
        ax.errorbar(x, y, yerr=err, fmt="o", capsize=3, label=f"W = {w} months")
    ax.set_xticks(sorted(d["min_criteria"].astype(int).unique()))
    ax.set_xlabel("min_criteria")
    ax.set_ylabel("flag yield (%)")
    ax.set_title("Flag yield by follow-up window")
    ax.legend(fontsize=8)
    return fig


def fig_calibration(calibration: pd.DataFrame):
    fig, ax = plt.subplots(figsize=(5.5, 5))
    for name, d in calibration.groupby("model"):
        obs = pd.to_numeric(d["observed"], errors="coerce") * 100
        ax.plot(d["mean_predicted"] * 100, obs, "o-", label=name)
    top = max(1.0, float(pd.to_numeric(calibration["observed"], errors="coerce").max() * 100),
              float(calibration["mean_predicted"].max() * 100))
    ax.plot([0, top], [0, top], "k--", lw=0.8, label="perfect calibration")
    ax.set_xlabel("mean predicted risk in decile (%)")
    ax.set_ylabel("observed share with cancer within 12 months (%)")
    ax.set_title("Calibration by decile (test set)")
    ax.legend(fontsize=8)
    return fig


def fig_equal_workload(ew: pd.DataFrame):
    fig, ax = plt.subplots(figsize=(7, 4))
    ew = ew.copy()
    ew["who"] = np.where(ew["flagged_by"] == "rule", "review rule", ew["model"])
    names = list(dict.fromkeys(ew["who"]))
    ks = sorted(ew["min_criteria"].unique())
    width = 0.8 / len(names)
    for i, who in enumerate(names):
        d = ew[ew["who"] == who].set_index("min_criteria").reindex(ks)
        y = pd.to_numeric(d["ppv_12m"], errors="coerce").to_numpy(float) * 100
        ax.bar(np.arange(len(ks)) + i * width, np.nan_to_num(y), width, label=who)
    ax.set_xticks(np.arange(len(ks)) + width * (len(names) - 1) / 2)
    ax.set_xticklabels([f"workload of k={k}" for k in ks])
    ax.set_ylabel("cancer within 12 months among flagged (%)")
    ax.set_title("Rule and model at equal workload (test set)")
    ax.legend(fontsize=8)
    return fig


# -- html -----------------------------------------------------------------------------

def _png(fig) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _table_html(df: pd.DataFrame, columns: list[str], pct: tuple[str, ...] = ()) -> str:
    cols = [c for c in columns if c in df.columns]
    head = "".join(f"<th>{html.escape(c + (' (%)' if c in pct else ''))}</th>" for c in cols)
    body = []
    for _, r in df[cols].iterrows():
        cells = []
        for c in cols:
            v = r[c]
            if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
                text = "–"
            elif c in pct:
                text = f"{float(v) * 100:.1f}"
            elif isinstance(v, float):
                text = f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"
            else:
                text = str(v)
            cells.append(f"<td>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _num(v):
    return None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else float(v)


def _share(p, lo=None, hi=None) -> str:
    p, lo, hi = _num(p), _num(lo), _num(hi)
    if p is None:
        return "–"
    ci = f" ({lo * 100:.1f}–{hi * 100:.1f})" if lo is not None and hi is not None else ""
    return f"{p * 100:.1f}{ci}"


def _count(v) -> str:
    v = _num(v)
    return "–" if v is None else f"{v:,.0f}"


def _rules_html(df: pd.DataFrame, settings: Settings) -> str:
    """A compact, readable view of back-test rows (all columns are in backtest.csv)."""
    rows = []
    for _, r in df.iterrows():
        row = {"rule": rule_label(r).replace("the criterion ", "").replace("the pair ", ""),
               "new flags": _count(r["n_episodes"]),
               "per 1,000 / month": "–" if _num(r["episodes_per_1000"]) is None
               else f"{_num(r['episodes_per_1000']):.2f}"}
        for w in settings.windows_months:
            row[f"cancer ≤ {w} m: n / of"] = f"{_count(r[f'n_cancer_{w}m'])} / {_count(r[f'n_followed_{w}m'])}"
            row[f"yield {w} m, % (95 % CI)"] = _share(r[f"ppv_{w}m"], r[f"ppv_{w}m_lo"], r[f"ppv_{w}m_hi"])
        row[f"verdict {settings.headline_window_months} m"] = (
            r[f"verdict_{settings.headline_window_months}m"] or "–")
        row["sensitivity, % (95 % CI)"] = _share(r["sensitivity"], r["sensitivity_lo"], r["sensitivity_hi"])
        med, q1, q3 = _num(r["lead_days_median"]), _num(r["lead_days_q1"]), _num(r["lead_days_q3"])
        row["lead time, days: median (IQR)"] = "–" if med is None else f"{med:.0f} ({q1:.0f}–{q3:.0f})"
        rows.append(row)
    table = pd.DataFrame(rows)
    return _table_html(table, list(table.columns)) if rows else "<p>None.</p>"


def _months_sentence(bt: Backtest, settings: Settings) -> str:
    parts = []
    for w in settings.windows_months:
        d = bt.followup[(bt.followup["window_months"] == w) & bt.followup["complete"]]
        if d.empty:
            parts.append(f"W = {w}: none")
        else:
            parts.append(f"W = {w}: {month_label(d['month'].min())} to {month_label(d['month'].max())}")
    return "; ".join(parts)


CSS = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;font-size:12px;margin:1em 0}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}
th{background:#f3f3f3}.answer{background:#eef7ee;border-left:4px solid #2a2;padding:.6em 1em;font-size:15px}
.note{color:#555;font-size:13px}img{max-width:100%}"""


def render_html(bt: Backtest, rep: ModelReport, tables: dict, figures: dict[str, bytes],
                settings: Settings) -> str:
    w = settings.headline_window_months
    bts = tables["backtest"]
    img = {k: base64.b64encode(v).decode() for k, v in figures.items()}
    review = bts[bts["kind"] == "min_criteria"]
    single = bts[bts["kind"] == "criterion"]
    top_pairs = bts[bts["kind"] == "pair"].assign(
        _p=pd.to_numeric(bts[f"ppv_{w}m"], errors="coerce")).sort_values("_p", ascending=False).head(10)
    out = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>AOS monitor: "
           f"back-test and risk model</title><style>{CSS}</style></head><body>",
           "<h1>AOS monitor — back-test of the review rules and a learned risk model</h1>",
           f"<p>Evaluated months {month_label(bt.first)} to {month_label(bt.last)} (flags read "
           f"back to {month_label(bt.lookback_from)} for episodes and sensitivity). Cancer register "
           f"complete until {bt.complete_until}. Months with complete follow-up, counted in the "
           f"yield: {html.escape(_months_sentence(bt, settings))}.</p>",
           f"<p class='answer'>{html.escape(band_answer(bts, settings))}</p>",
           "<p class='note'>Workload = new episodes (a patient flagged by the rule and not flagged "
           "by it in the 6 months before) per 1,000 eligible adults per month. Yield = share of "
           "episodes with a cancer (ICD-10 C00–C97 except C44) in (T, end of month M + W]. "
           "Sensitivity = share of first cancers diagnosed in the period with a flag of the rule "
           "in the 12 months before; lead time = days from that first flag to diagnosis. "
           "Percentages in the tables; counts 1–4 and what is built on them are suppressed (–).</p>",
           f"<h2>Workload and yield</h2><img alt='workload against yield' "
           f"src='data:image/png;base64,{img['workload_yield']}'>",
           f"<img alt='yield by window' src='data:image/png;base64,{img['ppv_windows']}'>",
           "<h2>Review rule by min_criteria</h2>", _rules_html(review, settings),
           "<h2>Single criteria</h2>", _rules_html(single, settings),
           f"<h2>Ten pairs with the highest {w}-month yield</h2>", _rules_html(top_pairs, settings),
           "<p class='note'>All pairs are in backtest.csv.</p>",
           "<h2>Learned risk model</h2>"]
    if rep.skipped:
        out.append(f"<p>No model: {html.escape(rep.skipped)}.</p>")
    else:
        out += [
            f"<p>Features: the point-in-time patient-month features ({len(rep.features)} columns: "
            f"{html.escape(', '.join(rep.features))}). Label: a cancer within 12 months after T. "
            f"Training months {month_label(rep.train_months[0])} to {month_label(rep.train_months[-1])}; "
            f"test months {month_label(rep.test_months[0])} to {month_label(rep.test_months[-1])}; "
            f"the test patients (a held-out random share) are never trained on.</p>",
            _table_html(tables["model_metrics"], list(tables["model_metrics"].columns)),
            f"<p class='note'>{html.escape(QCANCER_NOTE)}</p>",
            f"<img alt='calibration' src='data:image/png;base64,{img['calibration']}'>",
            f"<h3>Rule and model at equal workload</h3><p class='answer'>"
            f"{html.escape(model_answer(tables, settings.review_min_criteria))}</p>"
            "<p class='note'>In each test month the model "
            "flags as many patient-months (its highest risks) as the review rule at min_criteria k "
            "flags; patient-months, not episodes.</p>",
            _table_html(tables["equal_workload"], list(tables["equal_workload"].columns),
                        ("ppv_12m", "ppv_12m_lo", "ppv_12m_hi", "sensitivity")),
            f"<img alt='equal workload' src='data:image/png;base64,{img['equal_workload']}'>",
        ]
    out.append("<p class='note'>Synthetic or de-identified data only. Research output: the rules "
               "in use are those of the rules file, not of this page.</p></body></html>")
    return "\n".join(out)


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """CSV as SPEC §6: UTF-8, ',' separator, booleans true/false, empty cell when hidden."""
    out = df.copy()
    for col in out.columns:
        values = out[col].dropna()
        if len(values) and values.map(lambda v: isinstance(v, (bool, np.bool_))).all():
            out[col] = out[col].map(lambda v: "" if v is None or v is pd.NA
                                    else ("true" if v else "false"))
    safetext.frame(out).to_csv(path, index=False, lineterminator="\n")


def write_outputs(out_dir: Path, bt: Backtest, rep: ModelReport, settings: Settings,
                  manifest: dict) -> Path:
    """Write everything into a temporary sibling directory, then swap it into place."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        tables = suppressed_tables(bt, rep, settings)
        for name, df in tables.items():
            write_csv(df, tmp / f"{name}.csv")
        figs = {"workload_yield": fig_workload_yield(tables["backtest"], settings),
                "ppv_windows": fig_ppv_windows(tables["backtest"], settings)}
        if not rep.skipped:
            figs["calibration"] = fig_calibration(tables["calibration"])
            figs["equal_workload"] = fig_equal_workload(tables["equal_workload"])
        (tmp / "figures").mkdir()
        pngs = {}
        for name, fig in figs.items():
            pngs[name] = _png(fig)
            (tmp / "figures" / f"{name}.png").write_bytes(pngs[name])
        (tmp / "evaluate.html").write_text(render_html(bt, rep, tables, pngs, settings),
                                           encoding="utf-8")
        (tmp / "evaluate_manifest.json").write_text(
            json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
        old = None
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old-{tmp.name[-8:]}")
            out_dir.rename(old)
        tmp.rename(out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


__all__ = ["write_outputs", "render_html", "suppressed_tables", "rule_label", "QCANCER_NOTE"]
