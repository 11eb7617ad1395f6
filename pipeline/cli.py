"""The `aos` command line. Each subcommand lives in `pipeline/commands/<name>.py`
with `add_parser(subparsers)` and `run(args) -> int`."""
from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__
from .errors import AosError

# Order = order in `aos --help`.
COMMANDS = ("demo", "ingest", "run", "report", "evaluate", "synth")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aos",
        description=(
            "AOS monitor: flags adults whose primary-care records show the patterns of "
            "serious non-specific symptoms that may be due to cancer (SVF AOS), and measures "
            "the confirmed-cancer yield against the expected 15-20 %."
        ),
        epilog="Exit codes: 0 success, 1 data refused (validation), 2 bad usage. "
        "Run 'aos COMMAND --help' for each command.",
    )
    parser.add_argument("--version", action="version", version=f"aos {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"pipeline.commands.{name}")
        p = module.add_parser(sub)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except AosError as exc:
        print(f"aos {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
