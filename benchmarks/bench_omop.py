"""OMOP ingest against canonical Parquet ingest (`make bench`; AOS_BENCH_SCALE scales patients).

Generates a synthetic region of 1,000,000 patients (x scale, 2023-01..2024-12) as a canonical
Parquet extract, ingests it (timed), converts the loaded tables once to OMOP CDM Parquet
(tests/omop/convert.py) and ingests that with `ingest_omop` (timed) into a fresh database.
Target (issue 13): the OMOP ingest takes at most 1.5 x the canonical one.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from pipeline import cli
from pipeline.ingest import ingest_extract
from pipeline.omop.ingest import ingest_omop
from tests.omop.convert import to_omop

PATIENTS = 1_000_000


def main() -> dict:
    n = max(int(PATIENTS * float(os.environ.get("AOS_BENCH_SCALE", "1.0"))), 1000)
    work = Path(tempfile.mkdtemp(prefix="aos-bench-omop-"))
    try:
        src = work / "extract"
        t0 = time.perf_counter()
        assert cli.main(["synth", "--patients", str(n), "--from", "2023-01", "--to", "2024-12",
                         "--seed", "3", "--format", "parquet", "--out", str(src)]) == 0
        shutil.rmtree(src / "truth", ignore_errors=True)
        gen_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        canon = ingest_extract(src, work / "canonical.duckdb", progress=False)
        canon_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        to_omop(work / "canonical.duckdb", work / "omop", fmt="parquet")
        shutil.copy(src / "extract.toml", work / "omop" / "extract.toml")
        conv_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        omop = ingest_omop(work / "omop", work / "omop.duckdb", progress=False)
        omop_s = time.perf_counter() - t0
        rows = {f.table: f.rows_read for f in canon.files}
        return {
            "patients": n, "canonical_rows_read": sum(rows.values()),
            "omop_rows_read": sum(d["read"] for d in omop.table_rows().values()),
            "generate_s": round(gen_s, 1), "convert_s": round(conv_s, 1),
            "canonical_parquet_ingest_s": round(canon_s, 1), "omop_parquet_ingest_s": round(omop_s, 1),
            "ratio": round(omop_s / canon_s, 2), "target_ratio": 1.5,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    print(main())
