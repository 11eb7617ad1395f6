"""Cost of the issue-9 guards (`make bench`; AOS_BENCH_SCALE scales the row counts).

- the personnummer scan (`check_staged`) over a staged lab file of 10M rows x scale, canonical and
  Swedish CSV (`bench_ingest.generate`), and over a worst case: 10M x scale free-text cells and as
  many numeric cells that all hold 10 digits in a row;
- the per-unit folders (`write_unit_folders`) for 200 units x 36 months of a cohort of
  200,000 x scale adults (set-based rows in the engine's own DDL).
Each figure is the fastest of three runs (the machine is shared).
"""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from benchmarks.bench_ingest import LAB_ROWS, generate, scale
from pipeline.cohort.units import write_unit_folders
from pipeline.ingest import personnummer, read, reference
from pipeline.paths import SQL_DIR


def best(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return round(min(times), 3)


def scan(work: Path, n: int) -> dict:
    out = {}
    for label, swedish in (("canonical_csv", False), ("swedish_csv", True)):
        src = work / label
        generate(src, n, swedish)
        con = duckdb.connect()
        reference.install(con)
        st = read.stage_file(con, "lab_results", src / "lab_results.csv", "stg", {},
                             {"encoding": "latin-1"} if swedish else {})
        out[label] = best(lambda: personnummer.check_staged(con, "stg", st.columns, "lab_results.csv"))
        con.close()
    con = duckdb.connect()
    reference.install(con)
    con.execute(f"CREATE TEMP TABLE w AS SELECT 'remiss ' || lpad(CAST(hash(i) % 10000000000 AS VARCHAR), 10, '0') "
                f"|| ' se journal' AS note, lpad(CAST(hash(i, 2) % 10000000000 AS VARCHAR), 10, '0') AS num "
                f"FROM range({n}) t(i)")
    out["worst_case_all_cells_10_digits"] = best(lambda: personnummer.check_staged(con, "w", ["note", "num"], "w"))
    return {"rows": n, "seconds": out}


def units(work: Path, n_adults: int) -> dict:
    con = duckdb.connect()
    con.execute((SQL_DIR / "cohort" / "tables.sql").read_text(encoding="utf-8"))
    months = "range(DATE '2023-01-01', DATE '2026-01-01', INTERVAL 1 MONTH)"
    con.execute(f"INSERT INTO eligible_adults SELECT CAST(m.range AS DATE), printf('P%08d', i), 'VC' || (i % 200) "
                f"FROM {months} m, range({n_adults}) t(i)")
    con.execute("INSERT INTO criteria_met SELECT month, patient_id, 'hb_low', month, 100, 117, 'g/L', 'x' "
                "FROM eligible_adults WHERE hash(patient_id, month) % 20 = 0")
    con.execute("INSERT INTO review_list SELECT e.month, e.care_unit_id, e.patient_id, true, 2, 'a;b', 'aos', "
                "false, 'x' FROM eligible_adults e WHERE hash(e.patient_id, e.month) % 100 = 0")
    month_list = [r[0] for r in con.execute("SELECT DISTINCT strftime(month, '%Y-%m') FROM eligible_adults "
                                            "ORDER BY 1").fetchall()]

    def write(ms):
        d = work / "units"
        shutil.rmtree(d, ignore_errors=True)
        write_unit_folders(con, d, ms)

    return {"adults": n_adults, "units": 200,
            "seconds_36_months": best(lambda: write(month_list)),
            "seconds_1_month": best(lambda: write(month_list[-1:]))}


def main() -> dict:
    work = Path(tempfile.mkdtemp(prefix="aos-bench-leaks-"))
    try:
        return {"scale": scale(), "personnummer_scan": scan(work, max(int(LAB_ROWS * scale()), 1000)),
                "unit_folders": units(work, max(int(200_000 * scale()), 1000))}
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    import json
    print(json.dumps(main(), indent=2))
