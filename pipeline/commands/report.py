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
            "yield, attrition, data quality ...). Small counts (1-4) are suppressed."
        ),
    )
    p.add_argument("--month", required=True, metavar="YYYY-MM", help="report month, e.g. 2025-06")
    p.add_argument("--db", default="aos.duckdb", help="DuckDB database (default: aos.duckdb)")
    p.add_argument("--out", default="out", metavar="DIR", help="output directory (default: out/)")
    p.add_argument("--lang", default="sv", choices=("sv", "en"),
                   help="report language: sv (default) or en")
    p.add_argument("--no-suppression", action="store_true",
                   help="INTERNAL USE ONLY: show small counts; stamps a warning into the report")
    return p


def run(args) -> int:
    from ..log import result
    from ..report import write_report

    path = write_report(args.db, args.month, args.out, lang=args.lang,
                        suppression=not args.no_suppression)
    result(f"report written: {path}")
    return 0
