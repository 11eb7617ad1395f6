"""`aos report`: the monthly quality report (SPEC §6)."""
from __future__ import annotations

import argparse


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "report",
        help="write the monthly quality report (HTML, XLSX, figures, releasable CSVs)",
        description=(
            "Write the monthly quality report for MONTH from the database: report.html "
            "(self-contained), report.xlsx, figures/*.png and releasable/*.csv (measures, "
            "yield, attrition, data quality ...). Small counts (1-4) are suppressed. "
            "The report is published into --out as a new run folder (runs/<id>, switched "
            "atomically through current/; see docs/architecture.md)."
        ),
        epilog="exit codes: 0 written; 1 no cohort for MONTH in the database; 2 bad usage "
               "(bad month, missing or foreign database, --out not writable); 4 busy: another "
               "aos process kept the database or --out for longer than --wait.",
    )
    p.add_argument("--month", required=True, metavar="YYYY-MM", help="report month, e.g. 2025-06")
    p.add_argument("--db", default="aos.duckdb", help="DuckDB database (default: aos.duckdb)")
    p.add_argument("--out", default="out", metavar="DIR", help="output directory (default: out/)")
    p.add_argument("--lang", default="sv", choices=("sv", "en"),
                   help="report language: sv (default) or en")
    p.add_argument("--wait", type=float, default=None, metavar="SECONDS",
                   help="how long to wait for an aos process that is writing the database or "
                        "--out (default: 60, or $AOS_LOCK_WAIT)")
    p.add_argument("--rules", metavar="RULES.toml",
                   help="rules file whose cancer definition the report counts (default: the "
                        "shipped aos-rules-v1.toml; use the file the cohort was run with)")
    p.add_argument("--no-suppression", action="store_true",
                   help="INTERNAL USE ONLY: show small counts; stamps a warning into the report")
    return p


def run(args) -> int:
    import logging

    from ..log import result
    from ..cohort.rules import load_rules
    from ..report import write_report
    from ..report.build import REPORT_WAIT

    wait = REPORT_WAIT if args.wait is None else max(args.wait, 0.0)
    path = write_report(args.db, args.month, args.out, lang=args.lang,
                        suppression=not args.no_suppression, wait=wait,
                        say=logging.getLogger(__name__).warning, rules=load_rules(args.rules))
    result(f"report written: {path}")
    return 0
