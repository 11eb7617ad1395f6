"""`aos evaluate` speed (`make bench`; AOS_BENCH_SCALE scales the population).

On a 50,000-patient x 4-year synthetic extract (cached under /tmp, shared with bench_cohort):
ingest, then `aos evaluate --from 2023-01 --to 2024-06`, which computes the 30 cohort months it
needs (2022-01..2024-06), back-tests 82 rules, fits both models and writes the outputs.
Reports each step's time (from evaluate_manifest.json), model sizes and peak memory.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from benchmarks.bench_cohort import extract, scale
from benchmarks.memory import PeakRSS
from pipeline.commands import evaluate as command
from pipeline.ingest import ingest_extract

PATIENTS = 50_000
FIRST, LAST = "2023-01", "2024-06"


def main() -> dict:
    n = max(2000, int(PATIENTS * scale()))
    print(f"bench evaluate: {n:,} patients, months {FIRST}..{LAST}", flush=True)
    src = extract(n)
    with tempfile.TemporaryDirectory(prefix="aos-bench-eval-") as tmp:
        db, out = Path(tmp) / "aos.duckdb", Path(tmp) / "evaluate"
        t0 = time.perf_counter()
        ingest_extract(src, db, progress=False)
        ingest_s = time.perf_counter() - t0
        print(f"  ingest {ingest_s:.1f} s; evaluating ...", flush=True)
        parser = argparse.ArgumentParser()
        command.add_parser(parser.add_subparsers())
        args = parser.parse_args(["evaluate", "--from", FIRST, "--to", LAST, "--db", str(db),
                                  "--out", str(out)])
        with PeakRSS() as peak:
            t0 = time.perf_counter()
            command.run(args)
            total = time.perf_counter() - t0
        manifest = json.loads((out / "evaluate_manifest.json").read_text())
        metrics = (out / "model_metrics.csv").read_text().splitlines()
    return {
        "patients": n, "months": f"{FIRST}..{LAST}",
        "ingest_s": round(ingest_s, 1),
        "evaluate_total_s": round(total, 1),
        "steps_s": manifest["timings_s"],
        "cohort_months_computed": len(manifest["cohort_months_computed"]),
        "model_train_months": manifest["model_train_months"],
        "model_test_months": manifest["model_test_months"],
        "model_metrics_csv": metrics,
        "peak_rss_mb": round(peak.peak / 1e6),
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
