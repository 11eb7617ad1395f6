"""`aos run [EXTRACT_DIR] --month YYYY-MM [--to YYYY-MM] [--db PATH] [--out DIR] [--rules RULES.toml]
[--mapping MAP.toml]`: ingest, then the monthly review cohort, then the cohort outputs."""
from __future__ import annotations

import argparse
import logging
import os
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
The 6 months before M are computed in the same pass (needed to tell new episodes).

Writes into --out:
  sensitive/review_list.csv   patients to review (>= 2 criteria), one line of evidence each
  sensitive/criteria.csv      every met criterion of every patient who passed the exclusions
  releasable/attrition.csv    exclusion counts per month and care unit (small numbers suppressed)
  run_manifest.json           inputs and their hashes, rules hash, parameters, timings, row
                              counts, not-evaluable criteria, baseline-incomplete months
and the tables cohort_runs, criteria_met, review_list, attrition, eligible_adults and
patient_month_features into the database (recomputing a month replaces its rows).
"""
EPILOG = """\
exit codes: 0 done; 1 data refused by ingest; 2 bad usage (bad month, a month starting after
the extract's data_complete_until or long before its first data, missing database, invalid
rules file).

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


def report_hook(args, db_path: str, info: dict) -> None:
    """Last step of `aos run`: the monthly report for the last computed month."""
    if getattr(args, "no_report", False):
        return
    from ..report import write_report
    month = info["months"][-1]
    path = write_report(db_path, month, args.stage, lang=getattr(args, "lang", "sv"))
    path = Path(args.out) / path.name
    log.result(f"report for {month}: {path}", args.quiet)


def _run(args) -> int:
    import duckdb

    from ..cohort import engine
    from ..cohort.outputs import write_outputs
    from ..cohort.rules import load_rules

    engine.parse_month(args.month)
    if args.to:
        engine.parse_month(args.to)
    rules = load_rules(args.rules)
    timings: dict[str, float] = {}
    db = Path(args.db)
    from ..omop.cli import omop_ingest
    if omop_ingest(args, timings):
        pass
    elif args.extract_dir:
        if not Path(args.extract_dir).is_dir():
            raise UsageError(f"{args.extract_dir}: no such directory (expected an extract directory)")
        from ..ingest import ingest_extract
        t0 = time.perf_counter()
        summary = ingest_extract(args.extract_dir, args.db, mapping=args.mapping,
                                 accept_empty=getattr(args, "accept_empty", ()),
                                 accept_quarantine=getattr(args, "accept_quarantine", ()))
        timings["ingest"] = round(time.perf_counter() - t0, 3)
        log.result(summary.format(), args.quiet)
    elif not db.is_file():
        raise UsageError(f"--db {args.db}: no such database; give EXTRACT_DIR to ingest one")

    con = duckdb.connect(str(db))
    try:
        limit = os.environ.get("AOS_MEMORY_LIMIT", "6GB")
        con.execute(f"SET memory_limit = '{limit}'")
        with log.progress_bar("cohort") as bar:
            info = engine.compute(con, args.month, args.to, rules,
                                  progress=lambda m: (logger.info(m), bar.advance()))
        timings.update(info.pop("timings"))
        inputs = con.execute(
            "SELECT table_name, source_file, sha256, rows_read, rows_loaded, rows_quarantined "
            "FROM ingest_files ORDER BY table_name, source_file").fetchall()
        from ..ingest import extract_meta
        manifest = {
            "command": "aos run " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["run"] else "aos run",
            "code_version": code_version(),
            "database": str(db),
            "inputs": [dict(zip(("table", "file", "sha256", "rows_read", "rows_loaded",
                                 "rows_quarantined"), r)) for r in inputs],
            "extract": extract_meta(con),
            "rules": {"path": str(rules.path), "sha256": rules.sha256, "version": rules.version},
            "parameters": rules.parameters(),
            **info,
        }
        t0 = time.perf_counter()
        manifest["timings"] = timings
        from ..omop.cli import omop_outputs
        omop_outputs(con, args, info, manifest, rules)
        write_outputs(con, args.stage, info["months"], manifest)
        timings["outputs"] = round(time.perf_counter() - t0, 3)
        engine.drop_temp(con)
    finally:
        con.close()
    say = lambda m: log.result(m, args.quiet)  # noqa: E731
    say(f"cohort {info['months'][0]}..{info['months'][-1]}: {info['row_counts']['review_list']:,} "
        f"on the review list, {info['row_counts']['criteria_met']:,} criteria met; "
        f"outputs in {args.out}/")
    if info["not_evaluable"]:
        say(f"not evaluable (input table not ingested): {', '.join(info['not_evaluable'])}")
    if info["baseline_incomplete"]:
        say(f"baseline incomplete: {', '.join(info['baseline_incomplete'])}")
    report_hook(args, str(db), info)
    return 0


def run(args) -> int:
    """Atomic `aos run`: on any failure the database and --out are left as they were.

    Outputs are written to a staging directory beside --out and moved into place at the end.
    When EXTRACT_DIR is given, an existing database is copied first and restored on failure
    (the ingest commits before the cohort is computed); a new database is removed.
    """
    import shutil
    import tempfile

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    db = Path(args.db)
    backup = None
    db_existed = db.exists()
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.run-", dir=out.parent))
    args.stage = str(stage)
    try:
        if (args.extract_dir or getattr(args, "omop", None)) and db_existed:
            backup = db.with_name(db.name + ".run-backup")
            shutil.copy2(db, backup)
        rc = _run(args)
        out.mkdir(parents=True, exist_ok=True)
        for item in sorted(stage.iterdir()):
            target = out / item.name
            if target.is_dir() and item.is_dir():
                for sub in sorted(item.iterdir()):
                    dest = target / sub.name
                    if dest.is_dir():
                        shutil.rmtree(dest)
                    sub.replace(dest)
            else:
                if target.is_dir():
                    shutil.rmtree(target)
                item.replace(target)
        return rc
    except BaseException:
        if backup is not None and backup.exists():
            backup.replace(db)
            Path(f"{db}.wal").unlink(missing_ok=True)
        elif (args.extract_dir or getattr(args, "omop", None)) and not db_existed:
            for p in (db, Path(f"{db}.wal")):
                p.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if backup is not None:
            backup.unlink(missing_ok=True)
