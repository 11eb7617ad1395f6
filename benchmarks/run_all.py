"""Run every benchmark (`make bench`): each `benchmarks/bench_*.py` has `main() -> dict`.

Results are printed and written to `benchmarks/results/<name>.json`. Set
AOS_BENCH_ONLY=name1,name2 to run a subset (names without the `bench_` prefix).
"""
from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["ingest", "synth", "cohort"]  # others follow alphabetically


def names() -> list[str]:
    found = sorted(p.stem[len("bench_"):] for p in HERE.glob("bench_*.py"))
    only = [n for n in os.environ.get("AOS_BENCH_ONLY", "").split(",") if n]
    ordered = [n for n in ORDER if n in found] + [n for n in found if n not in ORDER]
    return [n for n in ordered if not only or n in only]


def main() -> int:
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    for name in names():
        print(f"== benchmark: {name}", flush=True)
        module = importlib.import_module(f"benchmarks.bench_{name}")
        result = module.main()
        (out / f"{name}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
        print(json.dumps(result, indent=2, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
