"""`aos evaluate`: back-test the review rules and fit a learned risk model (research)."""
from __future__ import annotations

import argparse
import logging
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

from .. import log
from ..errors import DataRefused, UsageError

logger = logging.getLogger(__name__)

HELP = "back-test the review rules and a learned risk model over a range of months"


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "evaluate", help=HELP,
        description=(
            "Research back-test: for every criterion, every pair of criteria and the review rule "
            "at min_criteria 1-4, the workload (new flags per 1,000 eligible adults per month), "
            "the flag yield (cancer within 3, 6 and 12 months, Wilson 95 % intervals), the "
            "sensitivity and the lead time; then a learned risk model (logistic regression and "
            "gradient boosting) on the point-in-time patient-month features, compared with the "
            "rule at equal workload. Cohort months missing from the database are computed "
            "first. Writes evaluate.html, CSVs and figures/ (small counts suppressed)."),
        epilog="Only months whose follow-up ends on or before the extract's "
               "cancer_register_complete_until count in the yield; the report says which.")
    p.add_argument("--from", dest="first", required=True, metavar="YYYY-MM",
                   help="first month to evaluate")
    p.add_argument("--to", dest="last", required=True, metavar="YYYY-MM",
                   help="last month to evaluate")
    p.add_argument("--db", default="aos.duckdb", help="DuckDB database (default: aos.duckdb)")
    p.add_argument("--out", default="out/evaluate",
                   help="output directory, replaced whole (default: out/evaluate)")
    p.add_argument("--rules", default=None, metavar="RULES.toml",
                   help="rules file (default: the shipped aos-rules-v1.toml)")
    p.add_argument("--no-model", action="store_true", help="back-test only, no learned model")
    p.add_argument("--lang", default="sv", choices=("sv", "en"),
                   help="language of evaluate.html and its figures (default: sv)")
    return p


def run(args) -> int:
    from .. import dblock
    from ..evaluate import backtest, model, render
    from ..evaluate.cohort_months import ensure_months, needed_months, table_exists
    from ..evaluate.disclosure import suppress
    from ..report.messages import Messages
    from ..evaluate.settings import (MEMORY_LIMIT, add_months, default_rules, load_settings,
                                     month_label, parse_month, with_rules)
    from ..dblock import configure

    t0 = time.perf_counter()
    first, last = parse_month(args.first, "--from"), parse_month(args.last, "--to")
    if first > last:
        raise UsageError(f"--from {args.first} is after --to {args.last}")
    db = Path(args.db)
    if not db.exists():
        raise UsageError(f"database {db} does not exist: run 'aos ingest EXTRACT_DIR --db {db}' first")
    rules_path = Path(args.rules) if args.rules else default_rules()
    settings, criteria = load_settings(), ()
    if rules_path is not None:
        settings, criteria = with_rules(settings, rules_path)
    say = logger.info
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}  # CPU seconds of the process (all threads): comparable on a busy machine

    stack = ExitStack()
    stack.enter_context(dblock.writer(db))  # ensure_months writes cohort months: one writer
    try:
        con = dblock.connect(db)
    except BaseException:
        stack.close()
        raise
    try:
        # The SQL-only steps (cohort months, back-test) under aos run's limit (configure's
        # default), the model under evaluate's own: it holds a training sample in Python beside
        # DuckDB. AOS_MEMORY_LIMIT wins for both.
        configure(con)
        limits = {"cohort_months_and_backtest": current_limit(con)}
        bar = stack.enter_context(log.progress_bar("evaluate", total=3))
        if not table_exists(con, "patients") or not con.execute(
                "SELECT count(*) FROM patients").fetchone()[0]:
            raise DataRefused(f"{db}: table patients is missing or empty: no data to evaluate")
        until = backtest.complete_until(con)
        shortest = min(settings.windows_months)
        if add_months(first, shortest + 1).toordinal() - 1 > until.toordinal():
            raise DataRefused(
                f"{db}: extract_meta.cancer_register_complete_until is {until}: no month from "
                f"{args.first} has complete {shortest}-month cancer follow-up; choose earlier months")
        months = needed_months(con, first, last, backtest.lookback_start(first, settings))
        say(f"evaluate: months {args.first}..{args.last} (reading back to {month_label(months[0])}); "
            f"cancer register complete until {until}")
        with timed("cohort_months", timings, cpu):
            computed = ensure_months(con, months, rules_path, progress=say)
        bar.advance()

        say("evaluate: back-testing criteria, pairs and min_criteria 1-4")
        with timed("backtest", timings, cpu):
            bt = backtest.run_backtest(con, first, last, settings, criteria)
        say(f"evaluate: {len(bt.table)} rules; {bt.n_sensitivity_cancers} cancers in the period")
        bar.advance()

        if args.no_model:
            rep = model.ModelReport(skipped="not requested (--no-model)")
        else:
            configure(con, MEMORY_LIMIT)  # lowering it makes DuckDB evict down to it
            limits["model"] = current_limit(con)
            say("evaluate: fitting logistic regression and gradient boosting (temporal split)")
            with timed("model", timings, cpu):
                rep = model.run_model(con, first, last, until, settings)
            say(f"evaluate: model {'skipped: ' + rep.skipped if rep.skipped else 'done'}")
        timings.update({f"model_{k}": v for k, v in rep.timings.items()})
    finally:
        con.close()
        stack.close()

    manifest = {
        "command": "evaluate", "from": args.first, "to": args.last, "db": str(db),
        "rules": str(rules_path) if rules_path else None,
        "cancer_register_complete_until": until,
        "lookback_from": month_label(bt.lookback_from),
        "cohort_months_computed": [month_label(m) for m in computed],
        "settings": settings.__dict__, "timings_s": timings, "cpu_s": cpu,
        "duckdb_memory_limits": limits,
        "model_train_months": [month_label(m) for m in rep.train_months],
        "model_test_months": [month_label(m) for m in rep.test_months],
        "model_skipped": rep.skipped,
    }
    out = render.write_outputs(Path(args.out), bt, rep, settings, manifest, args.lang)
    quiet = getattr(args, "quiet", False)  # set by pipeline.cli (-q)
    log.result(backtest.band_answer(suppress(bt.table, backtest.suppression_rules(settings)), settings,
                                    Messages(args.lang)),
               quiet)
    if not rep.skipped:
        log.result(render.model_answer(render.model_tables(rep), settings.review_min_criteria), quiet)
    log.result(f"evaluate: wrote {out / 'evaluate.html'} in {time.perf_counter() - t0:.1f} s", quiet)
    return 0


@contextmanager
def timed(name: str, wall: dict, cpu: dict):
    """Record the wall and CPU seconds of the block under `name`."""
    w, c = time.perf_counter(), time.process_time()
    yield
    wall[name], cpu[name] = round(time.perf_counter() - w, 3), round(time.process_time() - c, 3)


def current_limit(con) -> str:
    """DuckDB's memory limit on `con` as DuckDB reports it (e.g. '1.8 GiB')."""
    return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
