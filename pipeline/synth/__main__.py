"""`python -m pipeline.synth ...`: the same as `aos synth ...` (used by the benchmark)."""
import argparse
import sys

from ..commands import synth
from ..errors import AosError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.synth")
    sub = parser.add_subparsers(dest="command", required=True)
    synth.add_parser(sub)
    args = parser.parse_args(["synth", *(sys.argv[1:] if argv is None else argv)])
    try:
        return synth.run(args)
    except AosError as exc:
        print(f"aos synth: error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
