"""Benchmark `aos synth`: 1,000,000 patients x 4 years (scaled by AOS_BENCH_SCALE), Parquet and
Swedish CSV; wall time and peak memory (max RSS of the generating child process).

Targets (docs/synthetic-data.md): under 5 minutes and under 8 GB for 1M x 4 years."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks.memory import run_measured

FULL_PATIENTS = 1_000_000


def _run(out: Path, patients: int, extra: list[str]) -> dict:
    """Run the generator in a child process; sample the RSS of it and its children every 0.1 s."""
    cmd = [sys.executable, "-m", "pipeline.synth", "--patients", str(patients), "--from", "2022-01",
           "--to", "2025-12", "--seed", "1", "--out", str(out), *extra]
    print("bench_synth:", " ".join(cmd[1:]), flush=True)
    wall, peak, _, _ = run_measured(cmd, capture=False)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {"wall_s": round(wall, 1), "peak_rss_mb": round(peak / 2**20, 1),
            "output_mb": round(size / 2**20, 1)}


def main() -> dict:
    scale = float(os.environ.get("AOS_BENCH_SCALE", "1.0"))
    patients = max(1000, int(FULL_PATIENTS * scale))
    result = {"patients": patients, "years": 4, "scale": scale}
    tmp = Path(tempfile.mkdtemp(prefix="aos_bench_synth_"))
    try:
        result["parquet"] = _run(tmp / "parquet", patients, ["--quiet"])
        shutil.rmtree(tmp / "parquet")
        result["swedish_csv"] = _run(tmp / "csv", patients, ["--swedish-csv", "--quiet"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result["target"] = "1M x 4 years: < 300 s and < 8192 MB each"
    return result


if __name__ == "__main__":
    print(main())
