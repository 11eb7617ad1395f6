"""`aos check EXTRACT_DIR [--mapping MAP.toml] [--rules RULES.toml]`: what an ingest would do,
without writing a database."""
from __future__ import annotations

import argparse
import tempfile
import uuid

from ..errors import DataRefused, UsageError

HELP = "validate an extract without writing a database: what would be loaded, quarantined, refused"
DESCRIPTION = """\
Check a regional extract before its first monthly run. Runs the real ingest (the same reading,
validation and quarantine as `aos ingest`) into a database held in memory only, and reports:
  - per file: rows read, rows that would be loaded and rows that would be quarantined;
  - quarantined rows by table, column and reason;
  - the extract dates (declared in extract.toml or derived from the data);
  - the review criteria that would not be evaluable (their input table is missing), those
    evaluated with part of their input, and the exclusions that could not be applied;
  - or, when the extract would be refused, why (file, column, reason).
Nothing is written: no database file and no outputs (a large extract may spill to a temporary
directory that is removed at the end)."""
EPILOG = """\
exit codes: 0 the extract would load; 1 it would be refused (as aos ingest); 2 bad usage.

examples:
  aos check data/extract-2025-06
  aos check export/ --mapping examples/mappings/region_x.toml
"""
MAX_REASONS = 40
# Quarantine reasons grouped by kind: the column prefix dropped and the values masked (quoted
# text, dates, a leading number, row numbers), so that no cell content is printed or logged.
REASONS_SQL = r"""
SELECT table_name, coalesce(column_name, '(whole row)') AS col,
       regexp_replace(regexp_replace(regexp_replace(regexp_replace(
           CASE WHEN starts_with(reason, column_name || ': ')
                THEN substr(reason, length(column_name) + 3) ELSE reason END,
           '''[^'']*''', '<value>', 'g'), '\d{4}-\d{2}-\d{2}', '<date>', 'g'),
           '^-?\d+(\.\d+)?\b', '<value>'), '(rows?) \d+(, \d+)*', '\1 <n>', 'g') AS kind,
       count(*) AS n
FROM quarantine GROUP BY ALL ORDER BY n DESC, 1, 2, 3"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("check", help=HELP, description=DESCRIPTION, epilog=EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("extract_dir", metavar="EXTRACT_DIR", help="directory with one file per table")
    p.add_argument("--mapping", metavar="MAP.toml",
                   help="source mapping for a region's own export (see aos ingest --help)")
    p.add_argument("--rules", metavar="RULES.toml",
                   help="rules file whose criteria are checked for evaluability "
                        "(default: the shipped aos-rules-v1.toml)")
    return p


def run(args) -> int:
    from pathlib import Path

    import duckdb

    from ..cohort.engine import evaluability
    from ..cohort.rules import load_rules
    from ..ingest import ingest_extract, present_tables
    from ..log import result

    if not Path(args.extract_dir).is_dir():
        raise UsageError(f"{args.extract_dir}: no such directory (expected an extract directory)")
    rules = load_rules(args.rules)
    # A named in-memory database: ingest_extract connects to it by name and loads it; this
    # connection keeps it alive to read the result, and closing it frees everything.
    name = f":memory:aos_check_{uuid.uuid4().hex}"
    con = duckdb.connect(name)
    spill = tempfile.TemporaryDirectory(prefix="aos-check-")  # not DuckDB's default ./.tmp
    try:
        con.execute(f"SET temp_directory = '{spill.name}'")
        try:
            summary = ingest_extract(args.extract_dir, name, mapping=args.mapping)
        except DataRefused as exc:
            raise DataRefused(f"the extract would be refused: {exc}") from None
        summary.db_path, summary.quarantine_by_column = "nothing written (aos check)", []
        reasons = con.execute(REASONS_SQL).fetchall()
        present = present_tables(con)
    finally:
        con.close()
        spill.cleanup()
    ev = evaluability(rules, set(present))
    lines = [summary.format()]
    if reasons:
        lines.append("quarantined rows by table, column and reason (values masked; "
                     "aos ingest writes the rows to the table quarantine):")
        lines += [f"  {t}.{c}: {r}: {n:,}" for t, c, r, n in reasons[:MAX_REASONS]]
        if len(reasons) > MAX_REASONS:
            lines.append(f"  ... and {len(reasons) - MAX_REASONS} more (table, column, reason) groups")
    else:
        lines.append("no row would be quarantined")
    lines.append(f"criteria of rules {rules.version}:")
    if ev["not_evaluable"]:
        lines += [f"  not evaluable: {cid} (needs {', '.join(rules.criteria[cid]['inputs'])})"
                  for cid in ev["not_evaluable"]]
    else:
        lines.append("  every criterion is evaluable")
    lines += [f"  partially evaluable: {cid}: {why}" for cid, why in ev["partially_evaluable"].items()]
    lines += [f"  {why}" for why in ev["exclusions_not_applied"]]
    loaded = sum(f.rows_loaded for f in summary.files)
    lines.append(f"verdict: the extract would load ({loaded:,} rows; {summary.rows_quarantined:,} "
                 "quarantined)")
    result("\n".join(lines), args.quiet)
    return 0
