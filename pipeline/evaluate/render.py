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

from .. import dblock, safetext  # noqa: E402
from .backtest import Backtest, band_answer, rule_label, suppression_rules  # noqa: E402
from .disclosure import secondary, suppress  # noqa: E402
from .model import ModelReport  # noqa: E402
from ..report.messages import Messages  # noqa: E402
from .settings import Settings, month_label  # noqa: E402

QCANCER_NOTE = Messages("en")("ev_qcancer")  # the API prints it; the page uses its language


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


def model_answer(tables: dict, k: int = 2, lang: str = "en") -> str:
    """One sentence: the rule at min_criteria k against each model at the same workload
    (from the suppressed equal-workload table, so a hidden count is never quoted)."""
    ew = tables.get("equal_workload")
    if ew is None or ew.empty or k not in set(ew["min_criteria"]):
        return ""
    msg = Messages(lang)
    d = ew[ew["min_criteria"] == k]
    rule = d[d["flagged_by"] == "rule"].iloc[0]

    def said(r) -> str:
        if r["sensitivity"] is None or pd.isna(r["sensitivity"]):
            return msg("ev_said_too_few")
        return msg("ev_said", ppv=msg.number(float(r["ppv_12m"]) * 100, 1),
                   sens=msg.number(float(r["sensitivity"]) * 100, 1))

    models = msg("ev_ans_model_join").join(f"{m['model'].replace('_', ' ')} {said(m)}"
                                           for _, m in d[d["flagged_by"] == "model"].iterrows())
    return msg("ev_ans_model", k=k, rate=msg.number(float(rule["flagged_per_1000"]), 1),
               rule=said(rule), models=models)


# -- figures ------------------------------------------------------------------------

def fig_workload_yield(table: pd.DataFrame, settings: Settings, lang: str = "en"):
    msg = Messages(lang)
    w = settings.headline_window_months
    ppv, lo, hi = f"ppv_{w}m", f"ppv_{w}m_lo", f"ppv_{w}m_hi"
    shown = table[pd.to_numeric(table[ppv], errors="coerce").notna()
                  & pd.to_numeric(table["episodes_per_1000"], errors="coerce").gt(0)]
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.axhspan(settings.expected_yield_low * 100, settings.expected_yield_high * 100,
               color="tab:green", alpha=0.15, label=msg("ev_band"))
    styles = {"pair": ("tab:gray", 0.35, msg("ev_pairs")),
              "criterion": ("tab:blue", 0.8, msg("ev_single")),
              "min_criteria": ("tab:red", 1.0, msg("ev_rule_k"))}
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
    ax.set_xlabel(msg("ev_x_workload"))
    ax.set_ylabel(msg("ev_y_yield_w", w=w))
    ax.set_title(msg("ev_t_workload"))
    ax.legend(fontsize=8, loc="best")
    return fig


def fig_ppv_windows(table: pd.DataFrame, settings: Settings, lang: str = "en"):
    msg = Messages(lang)
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
        ax.errorbar(x, y, yerr=err, fmt="o", capsize=3, label=msg("ev_w_months", w=w))
    ax.set_xticks(sorted(d["min_criteria"].astype(int).unique()))
    ax.set_xlabel("min_criteria")
    ax.set_ylabel(msg("ev_y_yield"))
    ax.set_title(msg("ev_t_windows"))
    ax.legend(fontsize=8)
    return fig


def fig_calibration(calibration: pd.DataFrame, lang: str = "en"):
    msg = Messages(lang)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    for name, d in calibration.groupby("model"):
        obs = pd.to_numeric(d["observed"], errors="coerce") * 100
        ax.plot(d["mean_predicted"] * 100, obs, "o-", label=name)
    top = max(1.0, float(pd.to_numeric(calibration["observed"], errors="coerce").max() * 100),
              float(calibration["mean_predicted"].max() * 100))
    ax.plot([0, top], [0, top], "k--", lw=0.8, label=msg("ev_perfect"))
    ax.set_xlabel(msg("ev_x_predicted"))
    ax.set_ylabel(msg("ev_y_observed"))
    ax.set_title(msg("ev_t_calibration"))
    ax.legend(fontsize=8)
    return fig


def fig_equal_workload(ew: pd.DataFrame, lang: str = "en"):
    msg = Messages(lang)
    fig, ax = plt.subplots(figsize=(7, 4))
    ew = ew.copy()
    ew["who"] = np.where(ew["flagged_by"] == "rule", msg("ev_review_rule"), ew["model"])
    names = list(dict.fromkeys(ew["who"]))
    ks = sorted(ew["min_criteria"].unique())
    width = 0.8 / len(names)
    for i, who in enumerate(names):
        d = ew[ew["who"] == who].set_index("min_criteria").reindex(ks)
        y = pd.to_numeric(d["ppv_12m"], errors="coerce").to_numpy(float) * 100
        ax.bar(np.arange(len(ks)) + i * width, np.nan_to_num(y), width, label=who)
    ax.set_xticks(np.arange(len(ks)) + width * (len(names) - 1) / 2)
    ax.set_xticklabels([msg("ev_workload_of", k=k) for k in ks])
    ax.set_ylabel(msg("ev_y_flagged"))
    ax.set_title(msg("ev_t_equal"))
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


def _rules_html(df: pd.DataFrame, settings: Settings, msg: Messages | None = None) -> str:
    """A compact, readable view of back-test rows (all columns are in backtest.csv)."""
    m = msg or Messages("en")
    rows = []
    for _, r in df.iterrows():
        row = {m("ev_c_rule"): rule_label(r, m, bare=True),
               m("ev_c_flags"): _count(r["n_episodes"]),
               m("ev_c_per_1000"): "–" if _num(r["episodes_per_1000"]) is None
               else f"{_num(r['episodes_per_1000']):.2f}"}
        for w in settings.windows_months:
            row[m("ev_c_cancer_w", w=w)] = f"{_count(r[f'n_cancer_{w}m'])} / {_count(r[f'n_followed_{w}m'])}"
            row[m("ev_c_yield_w", w=w)] = _share(r[f"ppv_{w}m"], r[f"ppv_{w}m_lo"], r[f"ppv_{w}m_hi"])
        row[m("ev_c_verdict_w", w=settings.headline_window_months)] = (
            r[f"verdict_{settings.headline_window_months}m"] or "–")
        row[m("ev_c_sensitivity")] = _share(r["sensitivity"], r["sensitivity_lo"], r["sensitivity_hi"])
        med, q1, q3 = _num(r["lead_days_median"]), _num(r["lead_days_q1"]), _num(r["lead_days_q3"])
        row[m("ev_c_lead")] = "–" if med is None else f"{med:.0f} ({q1:.0f}–{q3:.0f})"
        rows.append(row)
    table = pd.DataFrame(rows)
    return _table_html(table, list(table.columns)) if rows else f"<p>{html.escape(m('none'))}</p>"


def _months_sentence(bt: Backtest, settings: Settings, msg: Messages | None = None) -> str:
    msg = msg or Messages("en")
    parts = []
    for w in settings.windows_months:
        d = bt.followup[(bt.followup["window_months"] == w) & bt.followup["complete"]]
        if d.empty:
            parts.append(f"W = {w}: {msg('none')}")
        else:
            parts.append(f"W = {w}: {month_label(d['month'].min())} – {month_label(d['month'].max())}")
    return "; ".join(parts)


CSS = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 .8em;color:#222}
table{border-collapse:collapse;font-size:12px;margin:1em 0;display:block;overflow-x:auto;max-width:100%}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}
th{background:#f3f3f3}.answer{background:#eef7ee;border-left:4px solid #2a2;padding:.6em 1em;font-size:15px}
.note{color:#555;font-size:13px}img{max-width:100%}"""


def render_html(bt: Backtest, rep: ModelReport, tables: dict, figures: dict[str, bytes],
                settings: Settings, lang: str = "en") -> str:
    msg = Messages(lang)
    w = settings.headline_window_months
    bts = tables["backtest"]
    img = {k: base64.b64encode(v).decode() for k, v in figures.items()}
    review = bts[bts["kind"] == "min_criteria"]
    single = bts[bts["kind"] == "criterion"]
    top_pairs = bts[bts["kind"] == "pair"].assign(
        _p=pd.to_numeric(bts[f"ppv_{w}m"], errors="coerce")).sort_values("_p", ascending=False).head(10)
    out = [f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'><title>"
           f"{html.escape(msg('ev_title'))}</title><meta name='viewport' "
           f"content='width=device-width, initial-scale=1'><style>{CSS}</style></head><body>",
           f"<h1>{html.escape(msg('ev_h1'))}</h1>",
           "<p>" + html.escape(msg("ev_months", first=month_label(bt.first), last=month_label(bt.last),
                                   back=month_label(bt.lookback_from), until=bt.complete_until,
                                   done=_months_sentence(bt, settings, msg))) + "</p>",
           f"<p class='answer'>{html.escape(band_answer(bts, settings, msg))}</p>",
           f"<p class='note'>{html.escape(msg('ev_definitions'))}</p>",
           f"<h2>{html.escape(msg('ev_h_workload'))}</h2><img alt='{html.escape(msg('ev_t_workload'))}' "
           f"src='data:image/png;base64,{img['workload_yield']}'>",
           f"<img alt='{html.escape(msg('ev_t_windows'))}' src='data:image/png;base64,{img['ppv_windows']}'>",
           f"<h2>{html.escape(msg('ev_h_rule'))}</h2>", _rules_html(review, settings, msg),
           f"<h2>{html.escape(msg('ev_h_single'))}</h2>", _rules_html(single, settings, msg),
           f"<h2>{html.escape(msg('ev_h_pairs', w=w))}</h2>", _rules_html(top_pairs, settings, msg),
           f"<p class='note'>{html.escape(msg('ev_all_pairs'))}</p>",
           f"<h2>{html.escape(msg('ev_h_model'))}</h2>"]
    if rep.skipped:
        out.append(f"<p>{html.escape(msg('ev_no_model'))}: {html.escape(rep.skipped)}.</p>")
    else:
        out += [
            "<p>" + html.escape(msg("ev_features", n=len(rep.features), features=", ".join(rep.features),
                                    train=f"{month_label(rep.train_months[0])} – {month_label(rep.train_months[-1])}",
                                    test=f"{month_label(rep.test_months[0])} – {month_label(rep.test_months[-1])}"))
            + "</p>",
            _table_html(tables["model_metrics"], list(tables["model_metrics"].columns)),
            f"<p class='note'>{html.escape(msg('ev_qcancer'))}</p>",
            f"<img alt='calibration' src='data:image/png;base64,{img['calibration']}'>",
            f"<h3>{html.escape(msg('ev_h_equal'))}</h3><p class='answer'>"
            f"{html.escape(model_answer(tables, settings.review_min_criteria, lang))}</p>"
            f"<p class='note'>{html.escape(msg('ev_equal_note'))}</p>",
            _table_html(tables["equal_workload"], list(tables["equal_workload"].columns),
                        ("ppv_12m", "ppv_12m_lo", "ppv_12m_hi", "sensitivity")),
            f"<img alt='equal workload' src='data:image/png;base64,{img['equal_workload']}'>",
        ]
    out.append(f"<p class='note'>{html.escape(msg('ev_footer'))}</p></body></html>")
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
                  manifest: dict, lang: str = "sv") -> Path:
    """Write everything into a temporary sibling directory, then swap it into place.

    One writer per output directory (the lock file `.<name>.lock` beside it; busy -> exit 4);
    the writer first removes what a killed earlier writer left (`.<name>.tmp-*`, `.<name>.old-*`)."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with dblock.hold(out_dir.parent / f".{out_dir.name}.lock", "output directory"):
        for pattern in (f".{out_dir.name}.tmp-*", f".{out_dir.name}.old-*"):
            for stale in out_dir.parent.glob(pattern):
                shutil.rmtree(stale, ignore_errors=True)
        return _write_outputs(out_dir, bt, rep, settings, manifest, lang)


def _write_outputs(out_dir: Path, bt: Backtest, rep: ModelReport, settings: Settings,
                   manifest: dict, lang: str) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        tables = suppressed_tables(bt, rep, settings)
        for name, df in tables.items():
            write_csv(df, tmp / f"{name}.csv")
        figs = {"workload_yield": fig_workload_yield(tables["backtest"], settings, lang),
                "ppv_windows": fig_ppv_windows(tables["backtest"], settings, lang)}
        if not rep.skipped:
            figs["calibration"] = fig_calibration(tables["calibration"], lang)
            figs["equal_workload"] = fig_equal_workload(tables["equal_workload"], lang)
        (tmp / "figures").mkdir()
        pngs = {}
        for name, fig in figs.items():
            pngs[name] = _png(fig)
            (tmp / "figures" / f"{name}.png").write_bytes(pngs[name])
        (tmp / "evaluate.html").write_text(render_html(bt, rep, tables, pngs, settings, lang),
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
