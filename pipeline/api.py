"""The small documented API the analyst notebooks use (`notebooks/*.ipynb`).

Notebooks reach the database and the outputs only through these functions: no SQL and no
cohort logic in notebooks. Patient-level functions (review_list, criteria, patient_timeline)
are for the care unit's clinicians; aggregate functions apply small-number suppression.

    con = open_db()                      # $AOS_DB, default out/demo/aos.duckdb, read-only
    m = months(con)[-1]                  # 'YYYY-MM'
    review_list(con, m); criteria(con, m); attrition(con, m); review_by_unit(con, m)
    patient_timeline(con, pid, m); plot_timeline(timeline)
    pathway_yield(con, m); plot_yield_trend(yld); plot_funnel(yld)   # the report's yield
    first, last = evaluation_months(con)
    bt = backtest(con, first, last); yield_answer(bt); plot_workload_yield(bt)
    rep = model_report(con, first, last); model_answer(rep); plot_calibration(rep)
"""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb
import matplotlib.pyplot as plt
import pandas as pd

from .errors import UsageError
from .evaluate import backtest as _backtest
from .evaluate import model as _model
from .evaluate import render as _render
from .evaluate.cohort_months import table_exists
from .disclosure import frame
from .evaluate.disclosure import suppress
from .evaluate.settings import add_months, default_rules, load_settings, month_label, parse_month, with_rules
from .sqlfiles import run_file
from .paths import REPO_DIR

DEFAULT_DB = Path("out/demo/aos.duckdb")
TIMELINE_SOURCES = ("contacts", "lab_results", "diagnoses", "prescriptions", "observations",
                    "referrals", "cancer_diagnoses", "criteria_met")


def db_path() -> Path:
    """The database the notebooks use: $AOS_DB, else out/demo/aos.duckdb (from the repository)."""
    env = os.environ.get("AOS_DB")
    if env:
        return Path(env)
    return DEFAULT_DB if DEFAULT_DB.exists() else REPO_DIR / DEFAULT_DB


def open_db(path: str | Path | None = None, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the AOS database (read-only by default)."""
    path = Path(path) if path else db_path()
    if not path.exists():
        raise UsageError(f"database {path} does not exist: run 'aos demo' or set AOS_DB")
    return duckdb.connect(str(path), read_only=read_only)


def _month(m) -> date:
    return m if isinstance(m, date) else parse_month(m)


def months(con) -> list[str]:
    """Cohort months computed in the database, oldest first, as 'YYYY-MM'."""
    if not table_exists(con, "cohort_runs"):
        return []
    return [month_label(d) for d in run_file(con, "evaluate/api/months.sql", {})["month"].dt.date]


def review_list(con, month) -> pd.DataFrame:
    """The review list of a month (patient-level)."""
    return run_file(con, "evaluate/api/review_list.sql", {"month": _month(month)})


def criteria(con, month) -> pd.DataFrame:
    """Every met criterion of every patient who passed the exclusions (patient-level)."""
    return run_file(con, "evaluate/api/criteria.sql", {"month": _month(month)})


def attrition(con, month, care_unit: str = "ALL") -> pd.DataFrame:
    """Attrition steps of a month, region ('ALL') or one care unit."""
    return run_file(con, "evaluate/api/attrition.sql", {"month": _month(month), "care_unit": care_unit})


def review_by_unit(con, month) -> pd.DataFrame:
    """Per care unit: eligible adults, on the review list, new episodes, per 1,000 - the report's
    own cells for `month` (`report_tables`), so exactly what the report hides is hidden."""
    m = report_tables(con, month)["measures"]
    m = m[(m["month"] == month_label(_month(month))) & (m["group_type"] == "care_unit")]

    def measure(name):
        return m[m["measure"] == name].set_index("group")

    listed, on, new = (measure(n) for n in ("listed_adults", "on_review_list_per_1000",
                                            "new_episodes_per_1000"))
    df = pd.DataFrame({"eligible_adults": listed["numerator"], "on_review_list": on["numerator"],
                       "new_episodes": new["numerator"], "on_list_per_1000": on["ratio"],
                       "new_per_1000": new["ratio"]})
    df = df.astype("object").where(df.notna(), None)
    df["suppressed"] = listed["suppressed"] | on["suppressed"] | new["suppressed"]
    return df.rename_axis("care_unit_id").reset_index()


def criteria_frequency(con, month) -> pd.DataFrame:
    """Patients meeting each criterion in a month, and how many are on the review list (suppressed)."""
    df = run_file(con, "evaluate/api/criteria_frequency.sql", {"month": _month(month)})
    return frame(df, "criterion", {"patients": ["on_review_list"], "on_review_list": []},
                 shares=[("on_review_list", "patients")])


def patient_timeline(con, patient_id: str, month=None, months_back: int = 18,
                     months_after: int = 6) -> pd.DataFrame:
    """One patient's contacts, labs, codes, prescriptions, observations, referrals, cancers and
    met criteria, from `months_back` months before `month` to `months_after` after it
    (patient-level; synthetic data only in notebooks)."""
    m = _month(month) if month else date.today().replace(day=1)
    params = {"patient_id": patient_id, "from_date": add_months(m, -months_back),
              "to_date": add_months(m, months_after + 1)}
    parts = [run_file(con, f"evaluate/api/timeline/{src}.sql", params)
             for src in TIMELINE_SOURCES if table_exists(con, src)]
    df = pd.concat([p for p in parts if p is not None and len(p)], ignore_index=True) \
        if any(len(p) for p in parts) else pd.DataFrame(columns=["date", "kind", "item", "value", "unit"])
    df["date"] = pd.to_datetime(df["date"])
    return df.sort_values(["date", "kind", "item"]).reset_index(drop=True)


def plot_timeline(timeline: pd.DataFrame, title: str = "", month=None, ax=None):
    """A timeline: one row per kind of event; labs, codes, criteria, referrals and cancers
    labelled (one label per day); the review month's T marked when given."""
    kinds = [k for k in ("contact", "prescription", "observation", "lab", "diagnosis",
                         "criterion met", "referral", "cancer") if k in set(timeline["kind"])]
    if ax is None:
        _, ax = plt.subplots(figsize=(12, 0.7 * max(len(kinds), 2) + 1.5))
    colours = plt.get_cmap("tab10")
    for i, kind in enumerate(kinds):
        d = timeline[timeline["kind"] == kind]
        ax.scatter(d["date"], [i] * len(d), s=30, color=colours(i), zorder=3)
        if kind in ("contact", "prescription", "observation"):
            continue
        text = d.assign(label=[f"{it} {v:g}" if kind == "lab" and pd.notna(v) else str(it)
                               for it, v in zip(d["item"], d["value"])])
        for j, (day, g) in enumerate(text.groupby("date")["label"]):
            ax.annotate(", ".join(dict.fromkeys(g)), (day, i), textcoords="offset points",
                        xytext=(2, 6 if j % 2 == 0 else -12), fontsize=7)
    if month is not None:
        t = pd.Timestamp(add_months(_month(month), 1)) - pd.Timedelta(days=1)
        ax.axvline(t, color="k", ls="--", lw=1)
        ax.annotate("T", (t, len(kinds) - 0.5), xytext=(3, 0), textcoords="offset points")
    ax.set_yticks(range(len(kinds)), kinds)
    ax.set_ylim(-0.7, len(kinds) - 0.2)
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    return ax.figure


def report_tables(con, month=None) -> dict[str, pd.DataFrame]:
    """The monthly report's releasable tables for report month `month` (default: the latest
    computed month), after disclosure control: measures, yield, yield_sites,
    missed_opportunities, attrition, data_quality, completeness, cohort_runs."""
    from .report.build import compute  # the report engineer's entry point

    m = _month(month) if month else _month(months(con)[-1])
    path = Path(con.execute("SELECT path FROM duckdb_databases() WHERE database_name = "
                            "current_database()").fetchone()[0] or "memory")
    return compute(con, path, m)[1]


def pathway_yield(con, month=None) -> pd.DataFrame:
    """The report's yield table (SPEC §6.2): pathway and flag yield per month and pooled, at
    3, 6 and 12 months, with Wilson intervals, verdicts, per care unit; suppressed."""
    return report_tables(con, month)["yield"]


def _report_figure(draw, yld: pd.DataFrame, window: int, lang: str = "en"):
    """One of the report's own figures (pipeline.report.figures), as a matplotlib Figure."""
    return draw({"yield": yld}, window, lang)


def plot_yield_trend(yld: pd.DataFrame, window: int = 6, lang: str = "en"):
    """Monthly pathway and flag yield with Wilson intervals, suppressed months marked, the rolling
    pooled yield; the pathway against 15-20 %, the flag against 3 % (the report's figure)."""
    from .report import figures

    return _report_figure(figures.yield_trend, yld, window, lang)


def plot_funnel(yld: pd.DataFrame, window: int = 6, lang: str = "en"):
    """Funnel plots of care-unit yield (exact binomial 95 % / 99.8 % limits; the report's figure)."""
    from .report import figures

    return _report_figure(figures.funnel, yld, window, lang)


def report_figures(con, month=None, lang: str = "sv") -> dict:
    """Every figure of the monthly report as a matplotlib Figure, from the releasable tables."""
    from .report import figures

    t, m = report_tables(con, month), month or months(con)[-1]
    return {"trend": figures.trend(t, lang), "deciles": figures.deciles(t, lang),
            "criteria": figures.criteria(t, m, lang), "overlap": figures.overlap(t, m, lang),
            "yield_trend": figures.yield_trend(t, None, lang), "funnel": figures.funnel(t, None, lang)}


def evaluation_months(con) -> tuple[str, str]:
    """A back-test range the database supports: from 12 months after its first computed month
    (so that the look-back exists) to its last month with complete 6-month follow-up."""
    have = [_month(m) for m in months(con)]
    if not have:
        raise UsageError("no cohort months in the database: run 'aos run' or 'aos evaluate'")
    settings, _ = _settings()
    until = _backtest.complete_until(con)
    w = settings.headline_window_months
    done = [m for m in have if add_months(m, w + 1).toordinal() - 1 <= until.toordinal()]
    if not done:
        raise UsageError(f"no computed month has complete {w}-month follow-up (register complete "
                         f"until {until})")
    last = done[-1]
    first = min(max(add_months(have[0], settings.sensitivity_lookback_months), have[0]), last)
    return month_label(first), month_label(last)


def _settings(rules=None):
    path = Path(rules) if rules else default_rules()
    return with_rules(load_settings(), path) if path else (load_settings(), ())


def backtest(con, first, last, rules=None) -> pd.DataFrame:
    """The rule back-test (one row per criterion / pair / min_criteria), small counts suppressed.
    Needs the cohort months first-12 .. last in the database (aos evaluate computes them)."""
    settings, crits = _settings(rules)
    bt = _backtest.run_backtest(con, _month(first), _month(last), settings, crits)
    return suppress(bt.table, _backtest.suppression_rules(settings))


def yield_answer(backtest_table: pd.DataFrame) -> str:
    """The sentence: which rule settings put the flag yield inside the 15-20 % band (from the
    suppressed table of `backtest`, so a hidden yield is never quoted)."""
    return _backtest.band_answer(backtest_table, _settings()[0])


def model_report(con, first, last) -> dict[str, pd.DataFrame]:
    """The learned model on the months first..last with complete 12-month follow-up: tables
    'metrics', 'calibration', 'equal_workload' (suppressed) and 'split' (train/test months)."""
    settings, _ = _settings()
    until = _backtest.complete_until(con)
    rep = _model.run_model(con, _month(first), _month(last), until, settings)
    if rep.skipped:
        return {"skipped": pd.DataFrame({"reason": [rep.skipped]})}
    tables = _render.model_tables(rep)
    tables["split"] = pd.DataFrame({
        "set": ["train", "test"],
        "first_month": [month_label(rep.train_months[0]), month_label(rep.test_months[0])],
        "last_month": [month_label(rep.train_months[-1]), month_label(rep.test_months[-1])]})
    return {"metrics": tables["model_metrics"], "calibration": tables["calibration"],
            "equal_workload": tables["equal_workload"], "split": tables["split"]}


def model_answer(report: dict) -> str:
    """The sentence comparing the review rule with each model at the rule's workload."""
    if "equal_workload" not in report:
        return ""
    return _render.model_answer(report, _settings()[0].review_min_criteria)


def plot_workload_yield(backtest_table: pd.DataFrame):
    """Workload (new flags per 1,000 per month) against the 6-month yield, with the band."""
    return _render.fig_workload_yield(backtest_table, _settings()[0])


def plot_yield_windows(backtest_table: pd.DataFrame):
    """Flag yield at 3, 6 and 12 months for min_criteria 1-4."""
    return _render.fig_ppv_windows(backtest_table, _settings()[0])


def plot_calibration(report: dict):
    """Calibration by decile of both models (from model_report)."""
    return _render.fig_calibration(report["calibration"])


def plot_equal_workload(report: dict):
    """Rule and models at equal workload (from model_report)."""
    return _render.fig_equal_workload(report["equal_workload"])


QCANCER_NOTE = _render.QCANCER_NOTE
