"""Benchmark the start-up of the command line: `aos --help` and `aos COMMAND --help`, each a
fresh process (the console script's interpreter), median of AOS_BENCH_REPEAT runs (default 7).
Target (issue 11): under 0.5 s each.
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from pipeline.cli import COMMANDS

TARGET_S = 0.5


def _aos() -> list[str]:
    script = Path(sys.executable).with_name("aos")
    return [str(script)] if script.exists() else [shutil.which("aos") or "aos"]


def _median_seconds(argv: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> dict:
    repeat = int(os.environ.get("AOS_BENCH_REPEAT", "7"))
    aos = _aos()
    seconds = {"aos --help": _median_seconds([*aos, "--help"], repeat)}
    for name in COMMANDS:
        seconds[f"aos {name} --help"] = _median_seconds([*aos, name, "--help"], repeat)
    for k, v in seconds.items():
        print(f"{k}: {v:.3f} s", flush=True)
    worst = max(seconds.values())
    return {"repeat": repeat, "median_seconds": {k: round(v, 3) for k, v in seconds.items()},
            "worst_seconds": round(worst, 3), "target_seconds": TARGET_S,
            "within_target": worst < TARGET_S}


if __name__ == "__main__":
    print(main())
