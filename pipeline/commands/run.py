"""`aos run [EXTRACT_DIR] --month YYYY-MM [--to YYYY-MM] [--db PATH] [--out DIR] [--rules RULES.toml]
[--mapping MAP.toml]`: ingest, then the monthly review cohort, then the cohort outputs."""
from __future__ import annotations

import argparse
import contextlib
import logging
import subprocess
import sys
import time
from pathlib import Path

from .. import __version__, log
from ..errors import UsageError

logger = logging.getLogger(__name__)
HELP = "ingest an extract, compute the monthly review cohort and write its outputs"
DESCRIPTION = """\
Compute the AOS review cohort for month M (and, with --to, every month up to M2) as of the
last day T of each month, using only data dated on or before T (SPEC §2-4).

With EXTRACT_DIR the extract is ingested first (as `aos ingest`); without it the cohort is
computed on the existing database (--db). The criteria, windows and thresholds come from the
versioned rules file (default: the shipped aos-rules-v1.toml; its SHA-256 is recorded).
The 6 months before M are computed in the same pass for the patients listed (needed to tell
new episodes).

Incremental: the patient-month aggregates are stored in the database (agg_* tables) and a run
rebuilds only the months whose event rows changed since they were stored (late rows dated in
an earlier month included); a changed rules file rebuilds all of them, and so does --full.
The results are the same either way.

Writes into --out:
  sensitive/review_list.csv   patients to review (>= 2 criteria), one line of evidence each
  sensitive/criteria.csv      every met criterion of every patient who passed the exclusions
  releasable/attrition.csv    exclusion counts per month and care unit (small numbers suppressed)
  run_manifest.json           inputs and their hashes, rules hash, parameters, timings, row
                              counts, not-evaluable criteria, baseline-incomplete months
and the tables cohort_runs, criteria_met, review_list, attrition, eligible_adults,
patient_month_features and aos_runs into the database (recomputing a month replaces its rows).
"""
EPILOG = """\
exit codes: 0 done; 1 data refused by ingest; 2 bad usage (bad month, a month starting after
the extract's data_complete_until or long before its first data, missing, foreign or older
database, invalid rules file, --out not writable or full); 4 busy: another aos process is
writing the database or --out (the message says which, since when).

All or nothing: ingest, cohort and the run record commit as one transaction at the end; the
outputs are staged inside --out and published by one atomic switch (--out/current ->
runs/<run_id>; the names above are links through current/). A failed or killed run leaves the
database and --out as they were.

examples:
  aos run data/extract-2025-06 --month 2025-06
  aos run --db aos.duckdb --month 2023-01 --to 2025-12 --out out/backfill
  aos run --db aos.duckdb --month 2025-06 --rules my-rules.toml
  aos run --omop /data/omop --month 2024-06 --omop-cohort-out out/omop   # docs/omop.md
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("run", help=HELP, description=DESCRIPTION, epilog=EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("extract_dir", metavar="EXTRACT_DIR", nargs="?",
                   help="extract directory to ingest first (leave out to use --db as it is)")
    p.add_argument("--month", required=True, metavar="YYYY-MM", help="month to compute")
    p.add_argument("--to", metavar="YYYY-MM",
                   help="last month of a backfill: computes --month .. --to in one pass")
    p.add_argument("--db", default="aos.duckdb", metavar="PATH",
                   help="DuckDB database (default: aos.duckdb)")
    p.add_argument("--out", default="out", metavar="DIR", help="output directory (default: out/)")
    p.add_argument("--rules", metavar="RULES.toml",
                   help="rules file (default: pipeline/data/rules/aos-rules-v1.toml)")
    p.add_argument("--mapping", metavar="MAP.toml",
                   help="source mapping for the ingest (see aos ingest --help)")
    from .ingest import add_accept_flags
    add_accept_flags(p)
    p.add_argument("--lang", default="sv", choices=("sv", "en"),
                   help="report language (default: sv)")
    p.add_argument("--full", action="store_true",
                   help="rebuild every stored patient-month aggregate from the raw events "
                        "(default: only the months whose data changed)")
    p.add_argument("--no-report", action="store_true",
                   help="skip the monthly report (report.html, report.xlsx, releasable/*)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    from ..omop.cli import add_arguments
    add_arguments(p, cohort_out=True)
    return p


def code_version() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=5, cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{__version__}+{commit}" if commit else __version__


def _manifest(con, args, db: Path, rules, info: dict, timings: dict, run_id: str) -> dict:
    from ..ingest import extract_meta
    inputs = con.execute(
        "SELECT table_name, source_file, sha256, rows_read, rows_loaded, rows_quarantined "
        "FROM ingest_files ORDER BY table_name, source_file").fetchall()
    return {
        "run_id": run_id,
        "command": "aos run " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["run"] else "aos run",
        "code_version": code_version(),
        "database": str(db),
        "inputs": [dict(zip(("table", "file", "sha256", "rows_read", "rows_loaded",
                             "rows_quarantined"), r)) for r in inputs],
        "extract": extract_meta(con),
        "rules": {"path": str(rules.path), "sha256": rules.sha256, "version": rules.version},
        "parameters": rules.parameters(),
        **info,
        "timings": timings,
    }


def _transaction(con, args, db: Path, rules, stage: Path, run_id: str, say) -> dict:
    """Everything `aos run` changes, on `con` inside its open transaction: ingest, cohort,
    run record; the outputs and the report go to `stage`. Returns the run facts."""
    from ..cohort import engine
    from ..cohort.outputs import write_outputs
    from ..publish import pause_point, record_run, stage_errors

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if getattr(args, "omop", None):
        from ..omop.cli import omop_ingest
        say(omop_ingest(args, con).format())
    elif args.extract_dir:
        from ..ingest.run import ingest_into
        summary = ingest_into(con, args.extract_dir, db, mapping=args.mapping,
                              accept_empty=getattr(args, "accept_empty", ()),
                              accept_quarantine=getattr(args, "accept_quarantine", ()))
        say(summary.format())
    if getattr(args, "omop", None) or args.extract_dir:
        timings["ingest"] = round(time.perf_counter() - t0, 3)
    pause_point("after_ingest")
    with log.progress_bar("cohort") as bar:
        info = engine.compute(con, args.month, args.to, rules, own_transaction=False,
                              progress=lambda m: (logger.info(m), bar.advance()),
                              full=getattr(args, "full", False))
    timings.update(info.pop("timings"))
    manifest = _manifest(con, args, db, rules, info, timings, run_id)
    from ..omop.cli import omop_outputs
    omop_outputs(con, args, info, manifest, rules)
    t0 = time.perf_counter()
    with stage_errors(Path(args.out)):
        write_outputs(con, stage, info["months"], manifest)
        timings["outputs"] = round(time.perf_counter() - t0, 3)
        engine.drop_temp(con)
        if not getattr(args, "no_report", False):
            from ..report.build import parse_month, render
            render(con, db, parse_month(info["months"][-1]), stage,
                   lang=getattr(args, "lang", "sv"), rules=rules)
    record_run(con, run_id, "aos run", info["months"], Path(args.out))
    return info


def run(args) -> int:
    """Atomic `aos run` (docs/architecture.md "Locking, transactions and publishing"): under
    the writer locks of --db and --out, ingest + cohort + run record are one transaction and
    the outputs are staged inside --out; the commit comes first, then one atomic publish.
    A failure or kill at any moment leaves the database and --out as they were (a kill after
    the commit is published by the next aos command on --out)."""
    from .. import dblock, publish
    from ..cohort import engine
    from ..cohort.rules import load_rules

    say = lambda m: log.result(m, args.quiet)  # noqa: E731
    engine.parse_month(args.month)
    if args.to:
        engine.parse_month(args.to)
    rules = load_rules(args.rules)
    db, out = Path(args.db), Path(args.out)
    if args.extract_dir and not Path(args.extract_dir).is_dir():
        raise UsageError(f"{args.extract_dir}: no such directory (expected an extract directory)")
    if db.is_dir() or not db.parent.is_dir():
        raise UsageError(f"--db {args.db}: not a database file path (is a directory, or its "
                         "directory does not exist)")
    from ..omop.cli import check_args
    ingests = check_args(args) or bool(args.extract_dir)
    if not ingests and not db.is_file():
        raise UsageError(f"--db {args.db}: no such database; give EXTRACT_DIR or --omop SOURCE "
                         "to ingest one")
    import duckdb

    with dblock.writer(db), publish.locked(out, db) as o:
        created = not db.exists()
        con, stage, committed = None, None, False
        try:
            con = dblock.connect(db)
            dblock.check_layout(con, db)
            for line in o.recover(publish.committed_in(con)):
                say(f"--out {out}: {line}")
            dblock.configure(con)
            run_id = publish.new_run_id()
            stage = o.stage(run_id)
            con.execute("BEGIN TRANSACTION")
            info = _transaction(con, args, db, rules, stage, run_id, say)
            with publish.stage_errors(out):
                o.mark_ready(stage, db)
            publish.pause_point("before_commit")
            con.execute("COMMIT")
            committed = True
            publish.pause_point("after_commit")
            try:
                o.publish(stage)
            except OSError as exc:
                raise UsageError(f"--out {out}: the run was committed but its outputs could not "
                                 f"be published ({exc.strerror}); the next aos run or aos report "
                                 "on this --out publishes them") from None
        except BaseException:
            if con is not None and not committed:
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
            if stage is not None and not committed:
                o.discard(stage)
            raise
        finally:
            if con is not None:
                con.close()
            if created and not committed:
                dblock.remove_new(db)
    say(f"cohort {info['months'][0]}..{info['months'][-1]}: {info['row_counts']['review_list']:,} "
        f"on the review list, {info['row_counts']['criteria_met']:,} criteria met; "
        f"outputs in {args.out}/")
    if info["not_evaluable"]:
        say(f"not evaluable (input table not ingested): {', '.join(info['not_evaluable'])}")
    if info["baseline_incomplete"]:
        say(f"baseline incomplete: {', '.join(info['baseline_incomplete'])}")
    if not getattr(args, "no_report", False):
        say(f"report for {info['months'][-1]}: {out / 'report.html'}")
    return 0
