"""`aos ingest EXTRACT_DIR [--db aos.duckdb] [--mapping MAP.toml] [--quiet]`."""
from __future__ import annotations

import argparse

from ..errors import UsageError

HELP = "validate an extract directory and load it into DuckDB"
DESCRIPTION = """\
Validate a regional extract and load it into the canonical DuckDB tables (SPEC §1).

EXTRACT_DIR holds one file per table: <table>.csv, <table>.csv.gz or <table>.parquet
(required: patients, contacts, lab_results; optional: prescriptions, diagnoses, observations,
referrals, cancer_diagnoses, care_units), plus an optional extract.toml (region, extract_date,
data_complete_until, cancer_register_complete_until; CSV hints encoding, separator, decimal).
CSV separator (, or ;), decimal mark and encoding (UTF-8 with or without BOM, Latin-1) are
detected. Rows that cannot be loaded go to the table `quarantine` with the reason; for every
file rows read = loaded + already present + quarantined. Ingesting the same extract twice
changes nothing; a newer extract adds what is new. All or nothing: a refused ingest leaves the
database as it was.
"""
EPILOG = """\
exit codes: 0 loaded; 1 data refused (missing required table or column, unreadable file, a
column holding personnummer or samordningsnummer, a ragged file, dates in extract.toml that
contradict each other or today, a required table with no rows, a file with at least half of its
rows quarantined for one column); 2 bad usage (no such directory, bad mapping);
4 busy: another aos process is writing the database (the message says which).

examples:
  aos ingest data/extract-2025-06 --db aos.duckdb
  aos ingest export/ --mapping examples/mappings/region_x.toml
  aos ingest --omop /data/omop --db aos.duckdb        # OMOP CDM source (docs/omop.md)
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("ingest", help=HELP, description=DESCRIPTION, epilog=EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("extract_dir", metavar="EXTRACT_DIR", nargs="?", help="directory with one file per table")
    p.add_argument("--db", default="aos.duckdb", metavar="PATH",
                   help="DuckDB database file to load into (created if missing; default: aos.duckdb)")
    p.add_argument("--mapping", metavar="MAP.toml",
                   help="source mapping: file names, column renames and value maps for a region's own "
                        "export (see examples/mappings/)")
    add_accept_flags(p)
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    from ..omop.cli import add_arguments
    add_arguments(p)
    return p


def add_accept_flags(p) -> None:
    """--accept-empty / --accept-quarantine (also used by `aos run`)."""
    p.add_argument("--accept-empty", action="append", default=[], metavar="TABLE",
                   choices=("patients", "contacts", "lab_results"),
                   help="load although required table TABLE has no rows (refused otherwise); repeatable")
    p.add_argument("--accept-quarantine", action="append", default=[], metavar="FILE",
                   help="load although at least half of the rows of extract file FILE (e.g. "
                        "lab_results.csv) are quarantined for one column (refused otherwise); repeatable")


def run(args) -> int:
    from pathlib import Path

    from .. import log
    from ..ingest import ingest_extract
    from ..omop.cli import check_args, omop_ingest

    if check_args(args, need_source=True):
        log.result(omop_ingest(args).format(), args.quiet)
        return 0
    if not Path(args.extract_dir).is_dir():
        raise UsageError(f"{args.extract_dir}: no such directory (expected an extract directory)")
    db = Path(args.db)
    if db.exists() and db.is_dir():
        raise UsageError(f"--db {args.db}: is a directory; give a database file path")
    if not db.parent.exists():
        raise UsageError(f"--db {args.db}: directory {db.parent} does not exist")
    summary = ingest_extract(args.extract_dir, args.db, mapping=args.mapping,
                             accept_empty=args.accept_empty, accept_quarantine=args.accept_quarantine)
    log.result(summary.format(), args.quiet)
    return 0
