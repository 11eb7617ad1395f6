"""`aos synth --patients N --from YYYY-MM --to YYYY-MM [--seed S] [--format csv|parquet]
[--swedish-csv] [--chunk-size K] --out DIR`."""
from __future__ import annotations

import argparse
from pathlib import Path

from .. import months
from ..errors import UsageError

HELP = "write a synthetic region extract (no real patients) with its ground truth"
DESCRIPTION = """\
Write a synthetic extract of a Swedish-like region in the canonical form of SPEC §1: one file
per table (<table>.parquet or <table>.csv, columns exactly those of the schema) and
extract.toml (region, extract_date = last day of --to, data_complete_until,
cancer_register_complete_until some months earlier). The ground truth - which patients had a
cancer prodrome, when it started, its signals, the diagnosis date and site, every referral -
goes to DIR/truth/ and is not part of the extract.

Everything is synthetic: no real patient data, and identifiers are pseudonymous (P0000001).
The parameters and their sources are in pipeline/data/synth/; see docs/synthetic-data.md.
The output depends only on the seed and the options, never on --chunk-size.
"""
EPILOG = """\
exit codes: 0 written; 2 bad usage (bad month, --from after --to, N < 1, DIR already holds an
extract and --overwrite was not given).

examples:
  aos synth --patients 20000 --from 2022-01 --to 2025-12 --seed 1 --out data_samples
  aos synth --patients 5000 --from 2024-01 --to 2025-06 --swedish-csv --out /tmp/region_sv
"""



def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("synth", help=HELP, description=DESCRIPTION, epilog=EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--patients", type=int, required=True, metavar="N", help="number of patients (>= 1)")
    p.add_argument("--from", dest="month_from", required=True, metavar="YYYY-MM",
                   help="first month of the data")
    p.add_argument("--to", dest="month_to", required=True, metavar="YYYY-MM",
                   help="last month of the data; the extract date is its last day")
    p.add_argument("--seed", type=int, default=1, metavar="S", help="random seed, >= 0 (default: 1)")
    p.add_argument("--format", choices=("csv", "parquet"), default=None,
                   help="file format (default: parquet; csv with --swedish-csv)")
    p.add_argument("--swedish-csv", action="store_true",
                   help="CSV the Swedish way: ';' separator, decimal comma, Latin-1, dates YYYYMMDD, "
                        "sex 1 = man / 2 = kvinna (declared in extract.toml)")
    p.add_argument("--chunk-size", type=int, default=None, metavar="K",
                   help="patients generated and written per chunk (a multiple of the internal block "
                        "size; default 100000); changes memory use, not the output")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--overwrite", action="store_true", help="replace an extract already in DIR")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return p


def parse_month(text: str, option: str) -> tuple[int, int]:
    d = months.parse(text, option, years=range(1990, 2101))
    return d.year, d.month


def options_from_args(args):
    from ..synth import Options
    from ..synth.params import load

    if args.patients < 1:
        raise UsageError(f"--patients {args.patients}: need at least 1 patient")
    if args.seed < 0:
        raise UsageError(f"--seed {args.seed}: must be 0 or a positive integer")
    month_from = parse_month(args.month_from, "--from")
    month_to = parse_month(args.month_to, "--to")
    if month_from > month_to:
        raise UsageError(f"--from {args.month_from} is after --to {args.month_to}")
    if args.swedish_csv and args.format == "parquet":
        raise UsageError("--swedish-csv writes CSV files; it cannot be combined with --format parquet")
    fmt = args.format or ("csv" if args.swedish_csv else "parquet")
    block = load().cfg["block_size"]
    if args.chunk_size is not None and (args.chunk_size < block or args.chunk_size % block):
        raise UsageError(f"--chunk-size {args.chunk_size}: must be a positive multiple of the block "
                         f"size {block}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {args.out}: exists and is not a directory")
    return Options(args.patients, month_from, month_to, out, seed=args.seed, fmt=fmt,
                   swedish_csv=args.swedish_csv, chunk_size=args.chunk_size)


def run(args) -> int:
    from ..log import result
    from ..synth import run as generate
    from ..synth.generator import existing_outputs

    opt = options_from_args(args)
    found = existing_outputs(opt.out)
    if found and not args.overwrite:
        raise UsageError(f"--out {opt.out}: already holds an extract ({', '.join(found[:4])}"
                         f"{' ...' if len(found) > 4 else ''}); use --overwrite or a new directory")
    counts = generate(opt)
    result("rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()), args.quiet)
    return 0
