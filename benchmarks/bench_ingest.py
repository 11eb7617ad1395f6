"""Ingest throughput and peak memory (`make bench`; AOS_BENCH_SCALE scales the row counts).

Generates, into a temp dir, an extract with 10 million lab_results rows (x scale), matching
patients and a small contacts file, twice: canonical CSV (',', '.', UTF-8, ISO dates) and Swedish
CSV (';', decimal comma, Latin-1, YYYYMMDD). Each is ingested into a fresh database.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import psutil

from benchmarks.memory import PeakRSS
from pipeline.ingest import ingest_extract

LAB_ROWS = 10_000_000
ANALYTES = "['hb','alp','crp','esr','platelets','calcium','creatinine','glucose']"
UNITS = "['g/L','µkat/L','mg/L','mm/h','10^9/L','mmol/L','µmol/L','mmol/L']"


def scale() -> float:
    return float(os.environ.get("AOS_BENCH_SCALE", "1.0"))


def generate(out: Path, n_lab: int, swedish: bool) -> None:
    """Write patients, contacts and lab_results CSVs with DuckDB (set-based, no Python loop)."""
    out.mkdir(parents=True)
    n_pat = max(n_lab // 50, 10)
    sep = ";" if swedish else ","
    date = "strftime(d, '%Y%m%d')" if swedish else "CAST(d AS VARCHAR)"
    num = "replace(CAST(v AS VARCHAR), '.', ',')" if swedish else "CAST(v AS VARCHAR)"
    sex = "CASE WHEN i % 2 = 0 THEN '2' ELSE '1' END" if swedish else "CASE WHEN i % 2 = 0 THEN 'F' ELSE 'M' END"
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")

    def copy(sql: str, name: str) -> None:
        target = out / name
        con.execute(f"COPY ({sql}) TO '{target}' (HEADER, DELIMITER '{sep}')")
        if swedish:
            to_latin1(target)

    copy(f"SELECT printf('P%08d', i) AS patient_id, 1930 + i % 70 AS birth_year, {sex} AS sex, "
         f"'VC' || (i % 40) AS care_unit_id FROM range({n_pat}) t(i)", "patients.csv")
    copy(f"SELECT printf('P%08d', i % {n_pat}) AS patient_id, {date} AS contact_date, 'visit' AS contact_type "
         f"FROM (SELECT i, DATE '2023-01-01' + CAST(hash(i, 1) % 900 AS INTEGER) AS d "
         f"FROM range({n_pat * 2}) t(i))", "contacts.csv")
    copy(f"SELECT printf('P%08d', hash(i, 2) % {n_pat}) AS patient_id, {date} AS sample_date, "
         f"{ANALYTES}[k + 1] AS analyte, "
         f"CASE WHEN k = 2 AND i % 3 = 0 THEN '<5' ELSE {num} END AS value, {UNITS}[k + 1] AS unit "
         f"FROM (SELECT i, CAST(i % 8 AS INTEGER) AS k, "
         f"DATE '2023-01-01' + CAST(hash(i, 3) % 900 AS INTEGER) AS d, "
         f"round(1 + (hash(i, 4) % 200000) / 1000.0, 1) AS v FROM range({n_lab}) t(i))", "lab_results.csv")
    con.close()


def to_latin1(path: Path) -> None:
    tmp = path.with_suffix(".latin1")
    with path.open("r", encoding="utf-8", newline="") as src, tmp.open("w", encoding="latin-1", newline="") as dst:
        while chunk := src.read(16 << 20):
            dst.write(chunk)
    tmp.replace(path)


def run_one(work: Path, label: str, swedish: bool, n_lab: int) -> dict:
    src = work / label
    t0 = time.perf_counter()
    generate(src, n_lab, swedish)
    gen_s = time.perf_counter() - t0
    size_mb = sum(p.stat().st_size for p in src.iterdir()) / 1e6
    print(f"  {label}: generated {size_mb:,.0f} MB in {gen_s:.1f} s; ingesting ...", flush=True)
    db = work / f"{label}.duckdb"
    proc = psutil.Process()
    rss_before = proc.memory_info().rss
    with PeakRSS() as mem:
        cpu0, t0 = proc.cpu_times(), time.perf_counter()
        summary = ingest_extract(src, db, progress=True)
        secs, cpu1 = time.perf_counter() - t0, proc.cpu_times()
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    lab = summary.file("lab_results")
    total = sum(f.rows_read for f in summary.files)
    result = {
        "lab_rows": lab.rows_read, "total_rows": total, "csv_mb": round(size_mb, 1),
        "seconds": round(secs, 2), "cpu_seconds": round(cpu, 1), "load_avg_1min": os.getloadavg()[0],
        "rows_per_s": round(total / secs),
        "lab_rows_per_s": round(lab.rows_read / secs), "mb_per_s": round(size_mb / secs, 1),
        "peak_rss_mb": round(mem.peak / 1e6), "rss_before_mb": round(rss_before / 1e6),
        "quarantined": summary.rows_quarantined, "formats": sorted({f.format for f in summary.files}),
        "step_seconds": summary.timings,
    }
    print(f"  {label}: {result}", flush=True)
    shutil.rmtree(src)
    db.unlink()
    return result


def main() -> dict:
    n_lab = max(int(LAB_ROWS * scale()), 1000)
    work = Path(tempfile.mkdtemp(prefix="aos-bench-ingest-"))
    try:
        print(f"bench_ingest: {n_lab:,} lab rows (scale {scale()}) in {work}", flush=True)
        return {
            "scale": scale(), "cpu_count": os.cpu_count(),
            "canonical_csv": run_one(work, "canonical", False, n_lab),
            "swedish_csv": run_one(work, "swedish", True, n_lab),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    import json
    print(json.dumps(main(), indent=2))
