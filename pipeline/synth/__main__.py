"""`python -m pipeline.synth ...`: the same as `aos synth ...` (used by the benchmark)."""
import sys

from ..cli import main as aos


def main(argv: list[str] | None = None) -> int:
    return aos(["synth", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
