"""`aos demo`: the bundled synthetic sample -> DuckDB -> cohort backfill -> full report."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import UsageError
from ..log import result
from ..paths import SAMPLE_DIR

HELP = "run the whole pipeline on a seeded synthetic extract and print where the report is"
DEMO_PATIENTS = 100_000  # enough AOS starts for an unsuppressed 12-month pathway yield
DESCRIPTION = f"""\
Generates a seeded synthetic extract (`aos synth`, {DEMO_PATIENTS:,} patients, 2022-01..2025-12,
into OUT/extract/) -- or, with --sample, uses the bundled one (data_samples/, about 20,000
patients, too few AOS starts for an unsuppressed pathway yield) -- ingests it into
OUT/aos.duckdb, computes the monthly review cohort for --from..--month in one pass, and writes
the cohort outputs and the monthly report for --month into OUT/. No real patient data is
involved. Running it again gives the same result."""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("demo", help=HELP, description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="out/demo", metavar="DIR",
                   help="output directory, also holds aos.duckdb (default: out/demo)")
    p.add_argument("--from", dest="first", default="2023-01", metavar="YYYY-MM",
                   help="first month of the backfill (default: 2023-01, which gives the report 24 "
                        "complete months before the register date, so every summary card compares "
                        "the last 12 months with the 12 before)")
    p.add_argument("--month", default="2025-12", metavar="YYYY-MM",
                   help="report month, the last month of the backfill (default: 2025-12)")
    p.add_argument("--lang", default="sv", choices=("sv", "en"), help="report language (default: sv)")
    p.add_argument("--patients", type=int, default=DEMO_PATIENTS, metavar="N",
                   help=f"synthetic patients to generate (default: {DEMO_PATIENTS:,}, seed 1)")
    p.add_argument("--sample", action="store_true",
                   help="use the small bundled sample instead of generating (fast; the tests use it)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors and the result")
    return p


def run(args) -> int:
    from . import run as run_command

    if not (SAMPLE_DIR / "extract.toml").is_file():
        raise UsageError(f"the bundled sample is missing: {SAMPLE_DIR}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    db = out / "aos.duckdb"
    extract = SAMPLE_DIR if args.sample else _synth(out / "extract", args.patients, args.quiet)
    run_args = argparse.Namespace(
        extract_dir=str(extract), month=args.first, to=args.month, db=str(db), out=str(out),
        rules=None, mapping=None, lang=args.lang, no_report=False, quiet=args.quiet)
    run_command.run(run_args)
    result(f"demo done: report {out / 'report.html'} (also report.xlsx), "
           f"review list {out / 'sensitive' / 'review_list.csv'}, database {db}")
    return 0


def _synth(dest: Path, patients: int, quiet: bool) -> Path:
    """A seeded synthetic extract in dest (kept when it was made with the same options)."""
    from . import synth

    stamp = dest / ".demo-options"
    want = f"patients={patients} seed=1 from=2022-01 to=2025-12"
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == want:
        return dest
    synth.run(argparse.Namespace(patients=patients, month_from="2022-01", month_to="2025-12",
                                 seed=1, format="parquet", swedish_csv=False, chunk_size=None,
                                 out=str(dest), overwrite=True, quiet=quiet))
    stamp.write_text(want, encoding="utf-8")
    return dest
