"""Benchmark `aos report`: time to write the full report from a fixture database.

AOS_BENCH_SCALE (default 1.0) scales the number of care units (40 at 1.0, ~500 adults each).
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from pipeline.report import write_report
from tests.report.fixture_db import REPORT_MONTH, build


def main() -> dict:
    scale = float(os.environ.get("AOS_BENCH_SCALE", "1.0"))
    n_units = max(3, round(40 * scale))
    units = {f"U{i:03d}": 200 + (i * 137) % 600 for i in range(n_units)}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "aos.duckdb"
        t0 = time.perf_counter()
        build(db, seed=11, units_sizes=units)
        t1 = time.perf_counter()
        print(f"fixture: {n_units} units, {sum(units.values())} adults, {t1 - t0:.1f} s", flush=True)
        write_report(db, REPORT_MONTH, Path(tmp) / "out", lang="sv")
        t2 = time.perf_counter()
        print(f"report: {t2 - t1:.1f} s", flush=True)
        write_report(db, REPORT_MONTH, Path(tmp) / "raw", lang="en", suppression=False)
        t3 = time.perf_counter()
        files = sorted(p.name for p in (Path(tmp) / "out" / "releasable").iterdir())
        size = (Path(tmp) / "out" / "report.html").stat().st_size
    return {"scale": scale, "care_units": n_units, "adults": sum(units.values()), "months": 24,
            "report_seconds": round(t2 - t1, 2), "report_no_suppression_seconds": round(t3 - t2, 2),
            "suppression_overhead_seconds": round((t2 - t1) - (t3 - t2), 2),
            "report_html_bytes": size, "releasable_files": files}


if __name__ == "__main__":
    print(main())
