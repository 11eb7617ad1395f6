"""Run every benchmark (`make bench`): each `benchmarks/bench_*.py` has `main() -> dict`.

Results are printed and written to `benchmarks/results/<name>.json` (a benchmark returning
None skipped itself). Set AOS_BENCH_ONLY=name1,name2 to run a subset (names without the
`bench_` prefix); the scaling curve runs last (see docs/performance.md).
"""
from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["ingest", "synth", "cohort"]  # others follow alphabetically, LAST at the end
LAST = ["scaling"]  # the long scaling curve (AOS_BENCH_SIZES=none skips it)


def names() -> list[str]:
    found = sorted(p.stem[len("bench_"):] for p in HERE.glob("bench_*.py"))
    only = [n for n in os.environ.get("AOS_BENCH_ONLY", "").split(",") if n]
    middle = [n for n in found if n not in ORDER + LAST]
    ordered = [n for n in ORDER + middle + LAST if n in found]
    return [n for n in ordered if not only or n in only]


def main() -> int:
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    for name in names():
        print(f"== benchmark: {name}", flush=True)
        module = importlib.import_module(f"benchmarks.bench_{name}")
        result = module.main()
        if result is None:  # the benchmark skipped itself
            continue
        (out / f"{name}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
        print(json.dumps(result, indent=2, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
