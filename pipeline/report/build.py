"""Assemble the report: read the database, register every count, suppress, publish atomically."""
from __future__ import annotations

import os
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd
from matplotlib.image import imread

from .. import __version__, disclosure, schema
from ..cohort.rules import install_cancer_macro, load_rules
from ..ingest.meta import present_tables
from ..months import parse as parse_yyyy_mm
from ..errors import DataRefused, UsageError
from .. import safetext
from ..sqlfiles import statements
from . import config, settings, figures, html, measures, pathway, quality, sections, sql, summary, xlsx, yield_
from .cells import Cells
from .context import Context, add_months, ym
from .config import rules_in_force
from .messages import Messages
from .views import Builder

COHORT_DDL_TABLES = ("cohort_runs", "criteria_met", "review_list", "attrition", "eligible_adults")
OPTIONAL_INPUTS = ("referrals", "cancer_diagnoses", "care_units", "quarantine", "ingest_files",
                   "extract_meta")
RELEASABLE = ("measures", "yield", "yield_sites", "missed_opportunities", "attrition_region",
              "data_quality", "completeness", "cohort_runs")


def parse_month(month: str) -> date:
    return parse_yyyy_mm(month, "--month")


def _tables(con) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}


def _prepare(con, db_path: Path) -> set[str]:
    """Check the cohort tables; give absent optional inputs an empty temp stand-in."""
    have = _tables(con)
    missing = [t for t in COHORT_DDL_TABLES if t not in have]
    if missing:
        raise DataRefused(f"{db_path}: table(s) {', '.join(missing)} missing; run `aos run` first")
    for t in ("patients", "lab_results", *OPTIONAL_INPUTS):
        if t not in have:
            con.execute(schema.ddl(schema.table(t)).replace(
                "CREATE TABLE IF NOT EXISTS", "CREATE TEMP TABLE").replace(
                f",\n    PRIMARY KEY ({', '.join(schema.table(t).key)})", ""))
    return present_tables(con) & {"referrals", "cancer_diagnoses", "care_units"}


def _meta(con) -> dict:
    cur = con.execute(statements("report/extract_meta.sql")[0])
    row = cur.fetchone()
    if row is None:
        return {}
    out = dict(zip([d[0] for d in cur.description], row))
    for k in ("extract_date", "data_complete_until", "cancer_register_complete_until"):
        if isinstance(out.get(k), datetime):
            out[k] = out[k].date()
    return out


def pool_first(cfg, month: date, register: date | None) -> date:
    """The first month the rolling pools and their previous pools can need: two pools of
    `rolling_months` before the register's month less the longest window, and the route
    share's look-back before them (the trend window alone is too short for them)."""
    s = settings.load()
    base = min(month, register.replace(day=1)) if register else month
    return add_months(base, -(2 * s.rolling_months + max(cfg.windows) + s.route_lookback_months))


def _context(con, db_path: Path, month: date) -> Context:
    cfg = config.load()
    present = _prepare(con, db_path)
    meta = _meta(con)
    shown = add_months(month, -(cfg.trend_months - 1))
    first = min(shown, pool_first(cfg, month, meta.get("cancer_register_complete_until")))
    months = [r[0] for r in con.execute(
        "SELECT DISTINCT month FROM eligible_adults WHERE month BETWEEN ? AND ? ORDER BY month",
        [first, month]).fetchall()]
    if month not in months:
        raise DataRefused(f"{db_path}: no cohort for {ym(month)} in table eligible_adults; "
                          f"run `aos run --month {ym(month)}` first")
    ctx = Context(con=con, month=month, months=months, cfg=cfg, meta=meta, present=present,
                  shown=max(shown, months[0]))
    for t, note in (("referrals", "note_no_referrals"), ("cancer_diagnoses", "note_no_cancer")):
        if t not in present:
            ctx.notes.append(note)
    if not ctx.meta:
        ctx.notes.append("note_no_meta")
    elif ctx.cancer_complete is None:
        ctx.notes.append("note_no_register_date")
    from ..omop.ingest import report_notes  # OMOP extract: cancer from recorded diagnoses (SPEC §8)
    ctx.notes += report_notes(con)
    return ctx


def compute(con, db_path: Path, month: date, suppression: bool = True,
            rules=None) -> tuple[Context, dict]:
    """All releasable tables (pandas), after disclosure control. `rules`: the run's rules
    (pipeline.cohort.rules.Rules; default the shipped file) - its cancer definition counts."""
    ctx = _context(con, db_path, month)
    ctx.suppression = suppression
    cells = ctx.cells = Cells()
    install_cancer_macro(con, (rules or load_rules()).data["cancer"])
    sql.execute(con, "00_base")
    con.register("rpt_cancer_group_df", pd.DataFrame(list(ctx.cfg.cancer_groups)))
    con.execute("CREATE OR REPLACE TEMP TABLE rpt_cancer_group AS SELECT * FROM rpt_cancer_group_df")
    con.unregister("rpt_cancer_group_df")
    raw_m = measures.collect(ctx, cells)
    raw_p = pathway.collect(ctx, cells)
    raw_y = yield_.collect(ctx, cells)
    raw_q = quality.collect(ctx, cells)
    before = ym(ctx.shown_first)  # months before the trend window: never published
    cells.unpublished |= {k for k in cells.values if len(k[1]) == 7 and k[1] < before}
    cells.finalize(suppression)
    rows = measures.release(ctx, cells, raw_m) + pathway.release(ctx, cells, raw_p)
    tables = {"measures": pd.DataFrame(rows, columns=["measure", "month", "group_type", "group",
                                                      "numerator", "denominator", "ratio", "suppressed",
                                                      "pooled"]).astype({"pooled": bool})}
    tables.update(yield_.release(ctx, cells, raw_y))
    tables.update(quality.release(ctx, cells, raw_q))
    for name, col in (("measures", "month"), ("yield", "period")):  # monthly rows: trend window
        df = tables[name]
        tables[name] = df[df.pooled | (df[col] >= before)].reset_index(drop=True)
    for name, df in tables.items():  # counts as nullable integers: blank, never 0, when hidden
        for col in ("numerator", "denominator", "n", "cancers", "rows", "n_before", "n_excluded", "n_after"):
            if col in df.columns:
                df[col] = df[col].astype("Int64")
    return ctx, {k: tables[k] for k in RELEASABLE}


def write_csv(df: pd.DataFrame, path: Path) -> None:
    # `pooled` is an in-memory flag for the report code; the CSV keeps SPEC §6's columns
    # (a pooled period reads "YYYY-MM/YYYY-MM" there)
    out = df.drop(columns=["pooled"], errors="ignore")
    for col in out.columns:
        if out[col].dtype == bool or col in ("suppressed", "follow_up_complete", "derived",
                                             "baseline_incomplete"):
            out[col] = out[col].map(lambda v: "" if pd.isna(v) else ("true" if v else "false"))
    safetext.frame(out).to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def _render(ctx: Context, tables: dict, tmp: Path, lang: str, suppression: bool) -> None:
    msg = Messages(lang)
    figdir = tmp / "figures"
    figdir.mkdir()
    m = tables["measures"]
    w, band = ctx.cfg.headline_window, (ctx.cfg.band_low, ctx.cfg.band_high)
    month = ym(ctx.month)
    made = {
        "trend": figures.trend(tables, lang), "deciles": figures.deciles(tables, lang),
        "criteria": figures.criteria(tables, month, lang), "overlap": figures.overlap(tables, month, lang),
        "yield_trend": figures.yield_trend(tables, w, lang), "funnel": figures.funnel(tables, w, lang),
    }
    paths = {name: figures.save(fig, figdir / f"{name}.png") for name, fig in made.items()}
    figs = {}
    for name, p in paths.items():
        h, wd = imread(p).shape[:2]
        figs[name] = {"uri": html.data_uri(p), "caption": msg("cap_" + name, w=w), "width": wd, "height": h}
    b = Builder(tables, msg)
    months = sections.all_months(tables)
    runs = tables["cohort_runs"]
    this = runs[runs.month == ym(ctx.month)]
    context = {
        "month": ym(ctx.month), "region": ctx.meta.get("region") or msg("region_all"),
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "suppression": suppression, "headline_window": w,
        "notes": [msg(n) for n in ctx.notes],
        "summary": summary.items(b, ctx),
        "headline": sections.headline(b, ctx), "complete_text": sections.complete_months_text(b, ctx),
        "figures": figs,
        "views": {
            "trend": sections.trend_view(b, months), "units": sections.units_view(b, ym(ctx.month)),
            "criteria": sections.criteria_views(b, ym(ctx.month)), "yield": sections.yield_views(b, ctx),
            "pathway": sections.pathway_views(b, ctx, months), "quality": sections.quality_views(b),
            "attrition": sections.attrition_view(b, ym(ctx.month)), "runs": sections.runs_view(b),
        },
        "rules_version": this.rules_version.iloc[0] if len(this) else msg("not_known"),
        "rules_hash": this.rules_hash.iloc[0] if len(this) else msg("not_known"),
        "band_low": round(band[0] * 100), "band_high": round(band[1] * 100), "min_n": ctx.cfg.min_n,
        "threshold": disclosure.THRESHOLD, "code_version": __version__,
        "measure_ids": list(dict.fromkeys(m.measure)),
    }
    (tmp / "report.html").write_text(html.render(context, msg), encoding="utf-8")
    info = [(msg("x_title"), msg("title")), (msg("c_month"), ym(ctx.month)),
            (msg("x_generated"), context["generated"]),
            (msg("x_suppression"), msg("yes") if suppression else msg("warning_no_suppression")),
            (msg("x_rules"), f"{context['rules_version']} ({context['rules_hash']})"),
            (msg("x_legend"), msg("legend_suppressed"))]
    sheets = {k: tables[k] for k in RELEASABLE}
    xlsx.write(tmp / "report.xlsx", sheets, info, msg, suppression)


REPORT_CSVS = ("measures", "yield", "yield_sites", "missed_opportunities", "attrition_region",
               "data_quality", "completeness")
REPORT_WAIT = float(os.environ.get("AOS_LOCK_WAIT", "60"))  # seconds a report waits for a writer


def render(con, db_path, month: date, dest: Path, lang: str = "sv", suppression: bool = True,
           rules=None) -> None:
    """Compute the report for `month` on `con` and write it into the empty folder `dest`
    (inside `aos run` this is the run's staging folder, in its open transaction)."""
    with rules_in_force(rules or load_rules()):
        ctx, tables = compute(con, Path(db_path), month, suppression, rules)
        _write(ctx, tables, dest, lang, suppression)


def _write(ctx: Context, tables: dict, dest: Path, lang: str, suppression: bool) -> None:
    (dest / "releasable").mkdir(parents=True, exist_ok=True)
    for name in REPORT_CSVS:
        write_csv(tables[name], dest / "releasable" / f"{name}.csv")
    _render(ctx, tables, dest, lang, suppression)


def write_report(db_path, month: str, out_dir="out", lang: str = "sv", suppression: bool = True,
                 wait: float = REPORT_WAIT, say=None, rules=None) -> Path:
    """Write report.html, report.xlsx, figures/ and releasable/ for `month` (YYYY-MM).

    Reads the database under a shared lock, waiting up to `wait` s for a writer (then Busy,
    exit 4); publishes into out_dir as a new run folder that keeps the current run's other
    files (pipeline.publish). Returns the path of report.html. Raises UsageError / DataRefused
    on bad input; on any failure the output directory is left as it was.
    """
    from .. import dblock, publish

    db_path, out = Path(db_path), Path(out_dir)
    m = parse_month(month)
    Messages(lang)  # validates lang before any work
    if not db_path.is_file():
        raise UsageError(f"--db {db_path}: no such database; run `aos ingest` and `aos run` first")
    with dblock.reader(db_path, wait, say):
        con = dblock.connect(db_path, read_only=True)
        try:
            dblock.check_layout(con, db_path)
            with rules_in_force(rules or load_rules()):
                ctx, tables = compute(con, db_path, m, suppression, rules)
            with publish.locked(out, db_path, wait=wait, say=say) as o, \
                    rules_in_force(rules or load_rules()):
                o.recover(publish.committed_in(con))
                stage = o.stage(publish.new_run_id())
                try:
                    with publish.stage_errors(out):
                        _write(ctx, tables, stage, lang, suppression)
                        o.carry_over(stage)
                    publish.pause_point("report_before_publish")
                    o.publish(stage)
                except BaseException:
                    o.discard(stage)
                    raise
        finally:
            con.close()
    return out / "report.html"
