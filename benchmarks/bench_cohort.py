"""Cohort engine speed (`make bench`; AOS_BENCH_SCALE scales the population).

On a 1,000,000-patient x 4-year extract from the synthetic generator (cached under /tmp),
after ingest: the ingest, one month's cohort, a 36-month backfill, peak memory, and a plain
DuckDB scan of the same inputs (a count and a sum over each table) to compare against.
Targets: one month <= 30 s, 36-month backfill <= 5 min, peak <= 8 GB.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import psutil

from benchmarks.memory import PeakRSS
from pipeline.cohort import engine
from pipeline.cohort.rules import load_rules

PATIENTS = 1_000_000
FROM, TO = (2022, 1), (2025, 12)
ONE_MONTH = "2025-12"
BACKFILL = ("2023-01", "2025-12")  # 36 months
CACHE = Path(os.environ.get("AOS_BENCH_CACHE", "/tmp/aos-bench-cache"))
SCAN_COLUMNS = {"patients": "birth_year", "contacts": "year(contact_date)",
                "prescriptions": "coalesce(ddd, 0)", "lab_results": "value",
                "diagnoses": "length(icd10)", "observations": "value",
                "referrals": "year(event_date)", "cancer_diagnoses": "year(diagnosis_date)"}


def scale() -> float:
    return float(os.environ.get("AOS_BENCH_SCALE", "1.0"))


def extract(n: int) -> Path:
    """The synthetic extract for n patients, generated once per size with `aos synth`."""
    out = CACHE / f"synth-{n}-{FROM[0]}{FROM[1]:02d}-{TO[0]}{TO[1]:02d}-seed1"
    if (out / "extract.toml").exists():
        print(f"  using cached extract {out}", flush=True)
        return out
    shutil.rmtree(out, ignore_errors=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    cmd = [str(Path(sys.executable).with_name("aos")), "synth", "--patients", str(n),
           "--from", f"{FROM[0]}-{FROM[1]:02d}", "--to", f"{TO[0]}-{TO[1]:02d}", "--seed", "1",
           "--format", "parquet", "--out", str(out), "--quiet"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    print(f"  generated {out} in {time.perf_counter() - t0:.0f} s", flush=True)
    return out


def load_directly(src: Path, db: Path) -> None:
    """Fallback when ingest fails: the generator's Parquet files are canonical but for dotted
    ICD-10 codes and pathway case, which are normalised here as ingest would."""
    from pipeline import schema
    con = duckdb.connect(str(db))
    schema.create_all(con)
    for t in schema.EXTRACT_TABLES:
        f = src / f"{t.name}.parquet"
        if not f.exists():
            continue
        cols = [c.name for c in t.input_columns]
        have = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{f}')").fetchall()}
        exprs = {"icd10": "upper(replace(icd10, '.', ''))", "pathway": "upper(pathway)"}
        sel = ", ".join(f"{exprs.get(c, c)} AS {c}" for c in cols if c in have)
        con.execute(f"INSERT INTO {t.name} BY NAME SELECT DISTINCT {sel} FROM read_parquet('{f}')")
        con.execute("INSERT INTO ingest_files VALUES ('bench', ?, ?, 'n/a', 0, 0, 0, 0, now())",
                    [t.name, f.name])
    con.close()


def plain_scan(con, present) -> float:
    t0 = time.perf_counter()
    for table, expr in SCAN_COLUMNS.items():
        if table in present:
            con.execute(f"SELECT count(*), sum({expr}) FROM {table}").fetchall()
    return time.perf_counter() - t0


def timed_cohort(con, rules, first, last) -> tuple[float, int, dict]:
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        info = engine.compute(con, first, last, rules, progress=lambda m: print(m, flush=True))
        secs = time.perf_counter() - t0
    engine.drop_temp(con)
    return secs, mem.peak, info


def main() -> dict:
    from pipeline.ingest import ingest_extract

    n = max(int(PATIENTS * scale()), 1000)
    print(f"bench_cohort: {n:,} patients x 4 years (scale {scale()})", flush=True)
    src = extract(n)
    work = Path(tempfile.mkdtemp(prefix="aos-bench-cohort-"))
    try:
        db = work / "aos.duckdb"
        ingest_error = None
        with PeakRSS() as mem_ingest:
            t0 = time.perf_counter()
            try:
                ingest_extract(src, db, progress=True)
            except Exception as exc:  # keep measuring the cohort; the result says so
                ingest_error = f"{type(exc).__name__}: {exc}"
                print(f"  INGEST FAILED ({ingest_error}); loading the Parquet files directly",
                      flush=True)
                db.unlink(missing_ok=True)
                load_directly(src, db)
            ingest_s = time.perf_counter() - t0
        con = duckdb.connect(str(db))
        con.execute(f"SET memory_limit = '{os.environ.get('AOS_MEMORY_LIMIT', '6GB')}'")
        rows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in SCAN_COLUMNS}
        present = engine.present_tables(con)
        plain_scan(con, present)  # warm the cache once, like the cohort runs will find it
        scan_s = plain_scan(con, present)
        print(f"  plain scan: {scan_s:.2f} s", flush=True)
        rules = load_rules()
        one_s, one_peak, one = timed_cohort(con, rules, ONE_MONTH, None)
        print(f"  one month: {one_s:.1f} s", flush=True)
        back_s, back_peak, back = timed_cohort(con, rules, *BACKFILL)
        print(f"  36-month backfill: {back_s:.1f} s", flush=True)
        con.close()
        return {
            "scale": scale(), "patients": n, "cpu_count": os.cpu_count(),
            "input_rows": rows, "ingest_seconds": round(ingest_s, 1),
            "ingest_error": ingest_error,
            "ingest_peak_rss_mb": round(mem_ingest.peak / 1e6),
            "plain_scan_seconds": round(scan_s, 2),
            "one_month_seconds": round(one_s, 1),
            "one_month_ratio_to_scan": round(one_s / scan_s, 1),
            "one_month_review_list": one["row_counts"]["review_list"],
            "backfill_36_seconds": round(back_s, 1),
            "backfill_ratio_to_scan": round(back_s / scan_s, 1),
            "backfill_review_list": back["row_counts"]["review_list"],
            "backfill_step_seconds": back["timings"],
            "peak_rss_mb": round(max(one_peak, back_peak) / 1e6),
            "db_mb": round(db.stat().st_size / 1e6),
            "targets": {"one_month_s": 30, "backfill_36_s": 300, "peak_mb": 8000},
            "process_rss_mb_end": round(psutil.Process().memory_info().rss / 1e6),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    import json
    print(json.dumps(main(), indent=2))
