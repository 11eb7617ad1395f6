"""Scaling curve (`make bench`; issue 14 point 5): time and peak memory versus patients.

For each size (default 0.25, 0.5, 1, 2, 3 M patients; AOS_BENCH_SIZES=250000,500000 to choose,
AOS_BENCH_SIZES=none to skip) on the cached 4-year synthetic extract (bench_cohort.extract,
AOS_BENCH_CACHE), each step runs the installed `aos` CLI in a subprocess, timed, with the peak RSS
of its process tree:
  raw_scan   count(*), sum(hash(t)) over every input Parquet file (the limit; warm cache)
  plain_copy CREATE TABLE AS SELECT * of every input file into a new DuckDB file, no checks (the
             floor of any loading: what storing the rows costs)
  month_write, backfill_write
             CREATE TABLE AS SELECT * of the rows the one-month run / the backfill stored (every
             table it wrote, for its months) into a new DuckDB file: what storing the results
             costs, with no computing (the floor under that step)
  ingest     `aos ingest` into an empty database
  one_month  `aos run --db DB --month 2025-12 --no-report` on a database holding data to 2025-11
             with its cohort, after the full extract was ingested into it
  backfill   `aos run --db DB --month 2023-01 --to 2025-12 --no-report` on the fresh database
  evaluate   `aos evaluate --from 2023-01 --to 2025-12` on the backfilled database
At one size (AOS_BENCH_ONE_CORE_AT, default the smallest) raw_scan, ingest and backfill also run
pinned to one core (`taskset -c 0`) to estimate how the steps use more cores.

Each size is saved to benchmarks/results/scaling.json as soon as it is measured; a size already
measured with the same pipeline code is skipped unless AOS_BENCH_FORCE=1. The plot is
benchmarks/results/scaling.png, and docs/performance.md is rewritten from scaling.json (fits and
the national extrapolation); `python -m benchmarks.bench_scaling --doc` refits scaling.json
and rewrites the doc, `--plot` rewrites the plot.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import psutil

from benchmarks.memory import run_measured

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results" / "scaling.json"
PLOT = HERE / "results" / "scaling.png"
DOC = REPO / "docs" / "performance.md"
SIZES = (250_000, 500_000, 1_000_000, 2_000_000, 3_000_000)
STEPS = ("raw_scan", "plain_copy", "ingest", "month_write", "one_month", "backfill_write",
         "backfill", "evaluate")
FLOORS = ("raw_scan", "plain_copy", "month_write", "backfill_write")  # in-process references
FLOOR_OF = {"ingest": "plain_copy", "one_month": "month_write", "backfill": "backfill_write"}
FLOOR_WORDS = {"plain_copy": "a plain copy of the input", "month_write": "a copy of the month's "
               "stored results", "backfill_write": "a copy of the backfill's stored results"}
CUT, PREV_MONTH, MONTH = "2025-11-30", "2025-11", "2025-12"
BACKFILL = EVALUATE = ("2023-01", "2025-12")
NATIONAL = 10_500_000
CORES = (2, 16)
CODE_PATHS = ("pipeline", "sql", "pyproject.toml", "requirements.lock")


# ---------------------------------------------------------------- settings and bookkeeping

def sizes() -> list[int]:
    """AOS_BENCH_SIZES: comma-separated patient counts; 'none' or '0' skips the curve."""
    raw = os.environ.get("AOS_BENCH_SIZES", "").strip()
    if not raw:
        return list(SIZES)
    if raw.lower() in ("none", "0", "off"):
        return []
    return sorted({int(float(s)) for s in raw.split(",") if s.strip()})


def code_version() -> tuple[str, str]:
    """(last commit that changed the measured code, hash of that code's tree at HEAD), the
    latter with '+dirty' when it has uncommitted edits; the tree hash decides re-measuring."""
    git = ["git", "-C", str(REPO)]

    def out(*args: str) -> str:
        return subprocess.run([*git, *args], capture_output=True, text=True, check=True).stdout

    commit = out("log", "-1", "--format=%h", "--", *CODE_PATHS).strip()
    tree = subprocess.run(["git", "hash-object", "--stdin"], input=out("ls-tree", "HEAD", "--", *CODE_PATHS),
                          capture_output=True, text=True, check=True).stdout.strip()[:10]
    dirty = out("status", "--porcelain", "--", *CODE_PATHS).strip()
    return commit, tree + ("+dirty" if dirty else "")


def machine() -> dict:
    import duckdb
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()
    return {"cores": os.cpu_count(), "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "duckdb": duckdb.__version__, "python": platform.python_version(),
            "platform": platform.platform(), "git_head": head,
            **dict(zip(("code_version", "code_tree"), code_version()))}


def load(path: Path = RESULTS) -> dict:
    return json.loads(path.read_text()) if path.exists() else {"runs": {}}


def should_measure(doc: dict, n: int, tree: str, force: bool) -> bool:
    run = doc.get("runs", {}).get(str(n))
    return force or not run or run.get("machine", {}).get("code_tree") != tree \
        or not all(s in run.get("steps", {}) for s in STEPS)


def save(doc: dict, path: Path = RESULTS) -> None:
    """Write the runs with their fits and the national extrapolation, atomically."""
    doc["fit"] = fits(doc["runs"])
    doc["national"] = national(doc["runs"], doc["fit"])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    tmp.replace(path)


# ---------------------------------------------------------------- fits and extrapolation

def fit_line(x, y) -> dict:
    """Least squares y = a + b x and y = c x^k (log-log); needs two x values or more."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    b, a = np.polyfit(x, y, 1)
    k, logc = np.polyfit(np.log(x), np.log(y), 1)
    pred = a + b * x
    ss = float(((y - y.mean()) ** 2).sum())
    r2 = 1 - float(((y - pred) ** 2).sum()) / ss if ss > 0 else 1.0
    return {"intercept": float(a), "slope": float(b), "exponent": float(k),
            "coef": float(np.exp(logc)), "r2": r2}


def predict(fit: dict, x: float) -> float:
    """The larger of the linear and the power-law predictions (the cautious one)."""
    return max(fit["intercept"] + fit["slope"] * x, fit["coef"] * x ** fit["exponent"])


def parallel_fraction(one_core_s: float, all_cores_s: float, cores: int) -> float:
    """Amdahl's p from times on 1 and on `cores` cores: t_c = t_1 ((1 - p) + p / c).
    With CPU seconds as t_1 and wall seconds as t_c it is the p a run's CPU use implies."""
    p = (1 - all_cores_s / one_core_s) / (1 - 1 / cores)
    return min(max(p, 0.0), 1.0)


def on_cores(work_s: float, p: float, cores: int) -> float:
    """Amdahl: wall time on `cores` free cores of a step that needs work_s CPU seconds."""
    return work_s * ((1 - p) + p / cores)


def fractions(runs: dict) -> dict:
    """Per step, the largest parallel fraction seen: from the one-core (taskset) run against the
    run on all cores, and from CPU seconds against wall seconds at each size. A busy machine
    only lowers them, so the largest is the best (still cautious) estimate."""
    out: dict = {}
    for run in runs.values():
        cores = run["machine"]["cores"]
        for step, v in run["steps"].items():
            seen = [parallel_fraction(v["cpu_seconds"], v["seconds"], cores)] if "cpu_seconds" in v else []
            if step in run.get("one_core", {}):
                seen.append(parallel_fraction(run["one_core"][step]["seconds"], v["seconds"], cores))
            out[step] = max([out.get(step, 0.0), *seen])
    return out


def fits(runs: dict) -> dict:
    """Per step (patients in millions): wall time, CPU time and peak-memory fits; disk fits."""
    ns = sorted(int(n) for n in runs)
    out: dict = {}
    if len(ns) < 2:
        return out
    x = [n / 1e6 for n in ns]
    for step in STEPS:
        if all(step in runs[str(n)]["steps"] for n in ns):
            s = [runs[str(n)]["steps"][step] for n in ns]
            out[step] = {k: fit_line(x, [v[k] for v in s])
                         for k in ("seconds", "cpu_seconds", "peak_mb") if all(k in v for v in s)}
    for key in ("extract_mb", "db_mb"):
        if all(key in runs[str(n)]["disk"] for n in ns):
            out[key] = fit_line(x, [runs[str(n)]["disk"][key] for n in ns])
    return out


def national(runs: dict, fit: dict, patients: int = NATIONAL) -> dict:
    """Extrapolate each step to `patients`: its CPU work, its time on 2 and 16 free cores
    (Amdahl with the measured parallel fraction; and the ideal, work / cores), memory, disk."""
    if not fit:
        return {}
    p_of = fractions(runs)
    x = patients / 1e6
    steps = {}
    for step in STEPS:
        if step not in fit or "cpu_seconds" not in fit[step]:
            continue
        work, p = predict(fit[step]["cpu_seconds"], x), p_of.get(step, 0.0)
        steps[step] = {"cpu_seconds": round(work, 1), "parallel_fraction": round(p, 2),
                       "wall_seconds_as_measured": round(predict(fit[step]["seconds"], x), 1),
                       "peak_mb": round(predict(fit[step]["peak_mb"], x)),
                       **{f"seconds_{c}_cores": round(on_cores(work, p, c), 1) for c in CORES},
                       **{f"seconds_{c}_cores_ideal": round(work / c, 1) for c in CORES}}
    disk = {k: round(predict(fit[k], x)) for k in ("extract_mb", "db_mb") if k in fit}
    return {"patients": patients, "steps": steps, "disk_mb": disk}


# ---------------------------------------------------------------- measuring

def aos(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("aos")), *args, "--quiet"]


RAW_SCAN = """
import duckdb, json, resource, sys, time
files = sys.argv[1:]
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
def scan():
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for f in files:
        con.execute(f"select count(*), sum(hash(t)) from read_parquet('{f}') t").fetchall()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter() - t0, r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime
scan()  # warms the file cache, as the other steps find it
wall, cpu = scan()
print(json.dumps({"warm": wall, "cpu": cpu}))
"""

PLAIN_COPY = """
import duckdb, json, os, resource, sys, time
db, files = sys.argv[1], sys.argv[2:]
con = duckdb.connect(db)
con.execute("SET enable_progress_bar = false")
r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
for i, f in enumerate(files):
    con.execute(f"CREATE TABLE t{i} AS SELECT * FROM read_parquet('{f}')")
con.execute("CHECKPOINT")
r1 = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"warm": time.perf_counter() - t0,
                  "cpu": r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime}))
"""


RESULT_COPY = """
import duckdb, json, resource, sys, time
src, dst, months, skip = sys.argv[1], sys.argv[2], sys.argv[3], set(sys.argv[4].split(","))
con = duckdb.connect(dst)
con.execute("SET enable_progress_bar = false")
con.execute(f"ATTACH '{src}' AS s (READ_ONLY)")
def where(table):
    if months == "all":
        return ""
    first, last = months.split(":")
    (y0, m0), (y1, m1) = map(int, first.split("-")), map(int, last.split("-"))
    cols = {c for (c,) in con.execute("SELECT column_name FROM duckdb_columns() WHERE "
                                      "database_name = 's' AND table_name = ?", [table]).fetchall()}
    if "month" in cols:
        return f" WHERE month BETWEEN DATE '{first}-01' AND DATE '{last}-01'"
    if "mi" in cols:  # the stored aggregates, keyed by year * 12 + month - 1
        return f" WHERE mi BETWEEN {y0 * 12 + m0 - 1} AND {y1 * 12 + m1 - 1}"
    return " WHERE false"  # not kept by month: not rewritten by a month's run
tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE "
                                    "database_name = 's' ORDER BY 1").fetchall() if t not in skip]
r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
per_table, rows = {}, 0
for t in tables:
    t1 = time.perf_counter()
    con.execute(f"CREATE TABLE main.{t} AS SELECT * FROM s.{t}{where(t)}")
    con.execute("CHECKPOINT")
    n = con.execute(f"SELECT count(*) FROM main.{t}").fetchone()[0]
    per_table[t] = {"rows": n, "seconds": round(time.perf_counter() - t1, 3)}
    rows += n
r1 = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"warm": time.perf_counter() - t0, "rows": rows, "tables": per_table,
                  "cpu": r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime}))
"""


def measure(cmd: list[str], label: str, pin: bool = False) -> dict:
    if pin:
        cmd = ["taskset", "-c", "0", *cmd]
    wall, peak, out, cpu = run_measured(cmd)
    result = {"seconds": round(wall, 2), "peak_mb": round(peak / 2**20), "cpu_seconds": round(cpu, 2)}
    if label.startswith(FLOORS):  # the query time, without interpreter start-up
        scan = json.loads(out)
        result = {**result, "seconds": round(scan["warm"], 3), "cpu_seconds": round(scan["cpu"], 3),
                  "wall": round(wall, 2), **{k: scan[k] for k in ("rows", "tables") if k in scan}}
    print(f"  {label}: {result['seconds']:.1f} s, peak {result['peak_mb']:,} MB", flush=True)
    return result


def raw_scan(src: Path, pin: bool = False) -> dict:
    files = [str(f) for f in sorted(src.glob("*.parquet"))]
    return measure([sys.executable, "-c", RAW_SCAN, *files], "raw_scan" + (" (1 core)" * pin), pin)


def plain_copy(src: Path, work: Path) -> dict:
    files = [str(f) for f in sorted(src.glob("*.parquet"))]
    db = work / "plain.duckdb"
    try:
        return measure([sys.executable, "-c", PLAIN_COPY, str(db), *files], "plain_copy")
    finally:
        db.unlink(missing_ok=True)


def table_names(db: Path) -> list[str]:
    import duckdb
    with duckdb.connect(str(db), read_only=True) as con:
        return [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]


def result_copy(db: Path, work: Path, month: str | None, before: list[str], label: str) -> dict:
    """The floor under a cohort step: storing, in a new database, what it stored in `db` (every
    table but those in `before`), with nothing computed. With `month`, only that month's rows of
    the tables kept by month (a month's run), else every row (a backfill on a fresh database)."""
    out = work / "results.duckdb"
    try:
        return measure([sys.executable, "-c", RESULT_COPY, str(db), str(out),
                        f"{month}:{month}" if month else "all", ",".join(before)], label)
    finally:
        out.unlink(missing_ok=True)


def cut_extract(src: Path, cut: str = CUT) -> Path:
    """A copy of the extract as it would have been on `cut`: event rows dated after it dropped,
    patients listed after it dropped, later listing ends and deaths not yet known (cached)."""
    import duckdb
    from pipeline import schema
    out = src.with_name(f"{src.name}-cut{cut[:7].replace('-', '')}")
    if (out / "extract.toml").exists():
        return out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    con = duckdb.connect()
    later = f"(SELECT patient_id FROM read_parquet('{src}/patients.parquet') " \
            f"WHERE listed_from > DATE '{cut}')"
    for t in schema.EXTRACT_TABLES:
        f = src / f"{t.name}.parquet"
        if not f.exists():
            continue
        have = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{f}')").fetchall()}
        dates = [c.name for c in t.columns if c.dtype == "DATE" and c.name in have]
        if t.name == "patients":
            cols = ", ".join(f"CASE WHEN {c} > DATE '{cut}' THEN NULL ELSE {c} END AS {c}"
                             if c in ("listed_to", "death_date") else c for c in
                             [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{f}')").fetchall()])
            where = f"listed_from IS NULL OR listed_from <= DATE '{cut}'"
        else:
            cols = "*"
            where = " AND ".join([f"{c} <= DATE '{cut}'" for c in dates] or ["true"])
            if "patient_id" in have:
                where += f" AND patient_id NOT IN {later}"
        con.execute(f"COPY (SELECT {cols} FROM read_parquet('{f}') WHERE {where}) "
                    f"TO '{out / f.name}' (FORMAT parquet)")
    toml = (src / "extract.toml").read_text().splitlines()
    register = next(line.split('"')[1] for line in toml if line.startswith("cancer_register"))
    keep = [line for line in toml if not line.startswith(("extract_date", "data_complete_until",
                                                          "cancer_register"))]
    keep += [f'extract_date = "{cut}"', f'data_complete_until = "{cut}"',
             f'cancer_register_complete_until = "{min(register, cut)}"']
    (out / "extract.toml").write_text("\n".join(keep) + "\n")
    return out


def files_mb(files) -> float:
    return round(sum(f.stat().st_size for f in files) / 2**20, 1)


def measure_size(n: int, pin: bool) -> dict:
    from benchmarks.bench_cohort import extract
    src = extract(n)
    work = Path(tempfile.mkdtemp(prefix=f"aos-bench-scaling-{n}-",
                                 dir=os.environ.get("AOS_BENCH_WORK")))
    try:
        steps, one_core, disk = {}, {}, {"extract_mb": files_mb(src.glob("*.parquet"))}
        db = work / "a.duckdb"
        print(f"scaling {n:,} patients: {src}", flush=True)
        steps["raw_scan"] = raw_scan(src)
        steps["plain_copy"] = plain_copy(src, work)
        steps["ingest"] = measure(aos("ingest", str(src), "--db", str(db)), "ingest")
        disk["db_ingested_mb"] = files_mb([db])
        ingested = table_names(db)
        steps["backfill"] = measure(aos("run", "--db", str(db), "--month", BACKFILL[0], "--to",
                                        BACKFILL[1], "--no-report", "--out", str(work / "bf")),
                                    "backfill")
        disk["db_mb"] = files_mb([db])
        steps["backfill_write"] = result_copy(db, work, None, ingested, "backfill_write")
        steps["evaluate"] = measure(aos("evaluate", "--from", EVALUATE[0], "--to", EVALUATE[1],
                                        "--db", str(db), "--out", str(work / "ev")), "evaluate")
        if pin:
            one_core["raw_scan"] = raw_scan(src, pin=True)
            db.unlink()
            one_core["ingest"] = measure(aos("ingest", str(src), "--db", str(db)),
                                         "ingest (1 core)", pin=True)
            one_core["backfill"] = measure(aos("run", "--db", str(db), "--month", BACKFILL[0],
                                               "--to", BACKFILL[1], "--no-report", "--out",
                                               str(work / "bf1")), "backfill (1 core)", pin=True)
        db.unlink()
        # one month on a database that already holds the months before, with their cohort
        db = work / "b.duckdb"
        setup = {}
        setup["ingest_to_2025_11"] = measure(aos("ingest", str(cut_extract(src)), "--db", str(db)),
                                             "setup: ingest extract cut at 2025-11")
        setup["run_2025_11"] = measure(aos("run", "--db", str(db), "--month", PREV_MONTH,
                                           "--no-report", "--out", str(work / "m0")),
                                       "setup: run 2025-11")
        setup["ingest_update"] = measure(aos("ingest", str(src), "--db", str(db)),
                                         "setup: ingest the full extract on top")
        steps["one_month"] = measure(aos("run", "--db", str(db), "--month", MONTH, "--no-report",
                                         "--out", str(work / "m1")), "one_month")
        steps["month_write"] = result_copy(db, work, MONTH, ingested, "month_write")
        return {"patients": n, "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "machine": machine(), "load_avg_1min_end": round(os.getloadavg()[0], 2),
                "steps": steps, "one_core": one_core, "setup": setup, "disk": disk,
                "ratio_to_raw_scan": {s: round(v["seconds"] / steps["raw_scan"]["seconds"], 1)
                                      for s, v in steps.items()}}
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- plot, document, main

LABELS = {"raw_scan": "raw scan (the limit)", "plain_copy": "plain copy (load floor)",
          "ingest": "aos ingest", "month_write": "month's results copy (its floor)",
          "one_month": "one month (aos run)", "backfill_write": "backfill's results copy (its floor)",
          "backfill": "36-month backfill", "evaluate": "aos evaluate"}


def plot(doc: dict, path: Path = PLOT) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ns = sorted(int(n) for n in doc["runs"])
    x = [n / 1e6 for n in ns]
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(11, 5.0))
    for step in STEPS:
        have = [n for n in ns if step in doc["runs"][str(n)]["steps"]]
        xs = [n / 1e6 for n in have]
        v = [doc["runs"][str(n)]["steps"][step] for n in have]
        owner = next((s for s, f in FLOOR_OF.items() if f == step), step)  # a floor: its step's colour
        color = "black" if step == "raw_scan" else f"C{STEPS.index(owner)}"
        wall = {"color": color, "linestyle": "--"} if step in FLOORS else {"color": color, "marker": "o"}
        ax_t.plot(xs, [r["seconds"] for r in v], label=LABELS[step], **wall)
        if all("cpu_seconds" in r for r in v):
            ax_t.plot(xs, [r["cpu_seconds"] for r in v], color=color, linestyle=":", marker=".")
        ax_m.plot(xs, [r["peak_mb"] / 1024 for r in v], label=LABELS[step], **wall)
    ax_t.set(xlabel="patients (millions)", ylabel="seconds (log scale)", yscale="log",
             title="Wall time per step (dashed: floors; dotted: CPU seconds)")
    ax_m.set(xlabel="patients (millions)", ylabel="peak RSS (GiB)", title="Peak memory per step")
    for ax in (ax_t, ax_m):
        ax.set_xticks(x)
        ax.grid(alpha=0.3)
    version = {doc["runs"][str(n)]["machine"]["code_version"] for n in ns}
    fig.suptitle(f"AOS monitor scaling, 4-year synthetic extracts (code {', '.join(sorted(version))})",
                 fontsize=10)
    handles, labels = ax_t.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def growth_word(exponent: float) -> str:
    if exponent < 0.85:
        return "sub-linear (fixed costs still weigh at these sizes)"
    if exponent <= 1.15:
        return "linear"
    return "super-linear"


def hours(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


def patients_at(fit: dict, y: float) -> float:
    """Patients (millions) at which the linear fit reaches y (inf when it does not grow)."""
    return (y - fit["intercept"]) / fit["slope"] if fit["slope"] > 0 else float("inf")


def times(ratio: float) -> str:
    """A ratio as the tables write it: one decimal below 10 (1.4×, not 1×), none above."""
    return f"{ratio:.1f}×" if ratio < 10 else f"{ratio:.0f}×"


def step_table(runs: dict, ns: list[int], key: str) -> list[str]:
    """Rows of `key` (seconds or cpu_seconds) per size, with the ratio to the raw scan's."""
    rows = ["| patients | " + " | ".join(LABELS[s] for s in STEPS) + " |",
            "|---:|" + "---:|" * len(STEPS)]
    for n in ns:
        st = runs[str(n)]["steps"]
        scan = st["raw_scan"].get(key)
        cells = []
        for s in STEPS:
            v = st.get(s, {}).get(key)
            if v is None:
                cells.append("–")
            elif s == "raw_scan" or not scan:
                cells.append(f"{v:.1f}" if v >= 1 else f"{v:.2f}")
            else:
                cells.append(f"{v:.1f} ({times(v / scan)})")
        rows.append(f"| {n:,} | " + " | ".join(cells) + " |")
    return rows


TARGETS = {"ingest": 10, "one_month": 1, "backfill": 10}  # × one raw scan, issue 14


def targets(runs: dict, ns: list[int]) -> list[str]:
    """The issue-14 targets against the ratios at 1 M patients (or the largest size below), each
    beside its floor: what storing that step's rows costs with nothing checked or computed."""
    n = max([m for m in ns if m <= 1_000_000] or ns[:1])
    st = runs[str(n)]["steps"]
    scan = st["raw_scan"]["seconds"]
    cells = []
    for s, limit in TARGETS.items():
        if s not in st:
            continue
        cpu = (f", CPU {times(st[s]['cpu_seconds'] / st['raw_scan']['cpu_seconds'])}"
               if st[s].get("cpu_seconds") and st["raw_scan"].get("cpu_seconds") else "")
        text = f"{LABELS[s]}: {times(st[s]['seconds'] / scan)} one raw scan{cpu} (target ≤ {limit}×)"
        floor = FLOOR_OF[s]
        if floor in st:
            text += (f"; storing its rows with nothing checked or computed ({FLOOR_WORDS[floor]}) "
                     f"already costs {times(st[floor]['seconds'] / scan)}, and the step takes "
                     f"{st[s]['seconds'] / st[floor]['seconds']:.1f}× that")
        cells.append(f"- {text}.")
    return [f"Against the targets of issue 14, at {n:,} patients:", "", *cells, ""]


def render(doc: dict) -> str:
    """docs/performance.md from scaling.json: every number below comes from `doc`."""
    runs, fit, nat = doc["runs"], doc.get("fit", {}), doc.get("national", {})
    ns = sorted(int(n) for n in runs)
    if not ns:
        return "# Performance\n\nNo scaling run recorded yet: run `make bench`.\n"
    versions = sorted({runs[str(n)]["machine"]["code_version"] for n in ns})
    m0 = runs[str(ns[-1])]["machine"]
    total = sum(runs[str(n)].get("total_seconds", 0) for n in ns)
    whole = ""
    if len(ns) >= 2:
        per_size = fit_line([n / 1e6 for n in ns], [runs[str(n)]["total_seconds"] for n in ns])
        est = sum(per_size["intercept"] + per_size["slope"] * n / 1e6 for n in SIZES)
        whole = (f" (the whole default curve, {SIZES[0] / 1e6:g}-{SIZES[-1] / 1e6:g} M, about "
                 f"{hours(est)} by a linear fit of these totals, plus `aos synth` once per size)")
    lines = [TEMPLATE_HEAD.format(cut=CUT, prev=PREV_MONTH, month=MONTH, bf=BACKFILL,
                                  ev=EVALUATE, national=f"{NATIONAL / 1e6:.1f}")]
    lines += ["## Results", "",
              f"Measured on {m0['cores']} cores, {m0['ram_gb']} GiB RAM, DuckDB {m0['duckdb']}, "
              f"Python {m0['python']}; code version {', '.join(versions)} (last commit of "
              f"`pipeline/`, `sql/`); each size in one session, on "
              f"{', '.join(sorted({runs[str(n)]['measured_at'][:10] for n in ns}))}; these "
              f"{len(ns)} sizes took {total / 60:.0f} min in all{whole}. The 1-minute load average at "
              "the end of each size, the benchmark's own steps included, was "
              f"{', '.join(str(runs[str(n)]['load_avg_1min_end']) for n in ns)} (2 cores); wall "
              "times rise with any other load and vary from run to run; CPU seconds (the work done, user + "
              "system, of the process tree) depend much less on the load, and the fits and the "
              "extrapolation below use them.", "",
              "Wall time, seconds (× one raw scan of the same extract, measured in the same session):", ""]
    lines += step_table(runs, ns, "seconds")
    lines += ["", "CPU time, seconds (× the raw scan's CPU time):", ""]
    lines += step_table(runs, ns, "cpu_seconds")
    lines += ["", "Peak memory (RSS of the process tree, MiB) and disk (MiB; the database after "
              "ingest and backfill):", "",
              "| patients | " + " | ".join(LABELS[s] for s in STEPS) + " | extract | database |",
              "|---:|" + "---:|" * (len(STEPS) + 2)]
    for n in ns:
        r = runs[str(n)]
        cells = [f"{r['steps'][s]['peak_mb']:,}" if s in r["steps"] else "–" for s in STEPS]
        lines.append(f"| {n:,} | " + " | ".join(cells) +
                     f" | {r['disk']['extract_mb']:,.0f} | {r['disk'].get('db_mb', 0):,.0f} |")
    lines += ["", "![time and peak memory versus patients](../benchmarks/results/scaling.png)", ""]
    lines += targets(runs, ns)
    if not fit:
        return "\n".join(lines + ["Fits need two sizes or more.", ""])
    lines += ["## Growth", "", "Least-squares fits over the measured sizes, n in millions of "
              "patients: time = a + b·n, and the exponent k of time ∝ n^k (k = 1 is linear; "
              "k < 1 means fixed costs, such as starting Python and loading the rules, still "
              "weigh at these sizes).", "",
              "| step | CPU s per M patients | k (CPU) | R² (CPU) | wall s per M patients | "
              "k (wall) | MiB per M patients | k (memory) | growth (CPU) |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for s in STEPS:
        if s in fit and "cpu_seconds" in fit[s]:
            c, t, m = fit[s]["cpu_seconds"], fit[s]["seconds"], fit[s]["peak_mb"]
            lines.append(f"| {LABELS[s]} | {c['slope']:.1f} | {c['exponent']:.2f} | {c['r2']:.3f} | "
                         f"{t['slope']:.1f} | {t['exponent']:.2f} | {m['slope']:,.0f} | "
                         f"{m['exponent']:.2f} | {growth_word(c['exponent'])} |")
    lines.append("")
    if nat and nat.get("steps"):
        lines += national_section(doc, nat, fit)
    return "\n".join(lines)


def busy_note(runs: dict) -> list[str]:
    """A sentence on how much of the machine the steps got (CPU seconds per wall second)."""
    use = [v["cpu_seconds"] / v["seconds"] for r in runs.values() for k, v in r["steps"].items()
           if k != "raw_scan" and v.get("cpu_seconds")]
    if not use:
        return []
    text = (f"The steps got {min(use):.2f}-{max(use):.2f} CPU seconds per wall second (2 would "
            "be both cores).")
    if max(use) < 1:
        text += " Each got less than one core on average: the other jobs on the machine hid "
        text += ("any parallel speed-up, so p is 0 here and the Amdahl columns equal the work, an "
                 "upper bound; the truth lies between them and the ideal column."
                 if not any(fractions(runs).values()) else "most of the parallel speed-up.")
    return [text, ""]


def evaluate_memory(runs: dict, mem_fit: dict, national_mb: float) -> list[str]:
    """What the measured peaks say about aos evaluate's memory at national size."""
    ns = sorted(int(n) for n in runs)
    peaks = [runs[str(n)]["steps"]["evaluate"]["peak_mb"] / 1024 for n in ns]
    ram = runs[str(ns[-1])]["machine"]["ram_gb"]
    text = (f"`aos evaluate` computes the cohort months it lacks and its back-test in DuckDB "
            f"under `aos run`'s memory limit, then fits its model on a seeded sample of at most "
            f"`max_train_rows` training rows (`evaluate.toml`) under a 2GB limit and scores the "
            f"test rows in batches, so only DuckDB's work grows with the population, within its "
            f"memory limits. Its peak went "
            f"from {peaks[0]:.1f} to {peaks[-1]:.1f} GiB over the sizes measured "
            f"(k = {mem_fit['exponent']:.2f}); ")
    if mem_fit["exponent"] < 0.5:
        text += ("it does not grow in proportion to the patients, so the linear "
                 f"extrapolation above ({national_mb / 1024:.1f} GiB) is an upper bound.")
    else:
        fits_at = (ram * 1024 - mem_fit["intercept"]) / mem_fit["slope"] if mem_fit["slope"] > 0 else float("inf")
        text += (f"by the linear fit it fills this {ram} GiB machine at about {fits_at:.1f} M "
                 "patients.")
    return [text]


def national_section(doc: dict, nat: dict, fit: dict) -> list[str]:
    runs, steps = doc["runs"], nat["steps"]
    pinned = sorted(int(n) for n in runs if runs[str(n)].get("one_core"))
    lines = [f"## A national run: {nat['patients'] / 1e6:.1f} M patients", "",
             "Each step's CPU work at national size is the larger of the linear and the "
             "power-law fit of its CPU seconds (the cautious one). Its time on c free cores "
             "follows Amdahl's law, t(c) = work·((1 − p) + p/c), with p the largest parallel "
             "fraction seen for the step: from CPU seconds against wall seconds at each size "
             "(p = 2·(1 − wall/CPU) on 2 cores), and from the run pinned to one core "
             f"(`taskset -c 0`) against the run on all cores at "
             f"{', '.join(f'{n:,}' for n in pinned) or 'no size'} patients. Other jobs on the "
             "machine lower both estimates, so the Amdahl column is cautious; the ideal column "
             "(work / c, p = 1) is the bound DuckDB approaches on large scans when memory "
             "bandwidth and disk keep up. Peak memory is the linear extrapolation, i.e. what the "
             "step would hold without a memory limit. (Wall times, measured under a load that "
             "changed between sizes, are not extrapolated here; scaling.json has them as "
             "`wall_seconds_as_measured`.)", "",
             *busy_note(doc["runs"]),
             f"| step | CPU work | p | {CORES[0]} cores | {CORES[1]} cores | "
             f"{CORES[1]} cores, ideal | peak memory |", "|---|---:|---:|---:|---:|---:|---:|"]
    for s, v in steps.items():
        lines.append(f"| {LABELS[s]} | {hours(v['cpu_seconds'])} | {v['parallel_fraction']:.2f} | "
                     f"{hours(v[f'seconds_{CORES[0]}_cores'])} | {hours(v[f'seconds_{CORES[1]}_cores'])} | "
                     f"{hours(v[f'seconds_{CORES[1]}_cores_ideal'])} | {v['peak_mb'] / 1024:.1f} GiB |")
    last = runs[str(max(map(int, runs)))]["steps"]
    limit_mb = {"ingest": 3072}  # aos ingest's default AOS_MEMORY_LIMIT; aos run's is 6GB
    capped = [LABELS[s] for s in steps if s in last and s not in FLOORS
              and 0.9 <= last[s]["peak_mb"] / limit_mb.get(s, 6144) <= 1.25]  # limit + Python
    if capped:
        lines += ["", f"{', '.join(capped)} already peak at DuckDB's memory limit plus "
                  "Python at the largest size measured: their memory stops growing there and the "
                  "spill grows instead, so their extrapolated memory is what they would hold "
                  "without the limit."]
    disk = nat.get("disk_mb", {})
    lines += ["", f"Disk: the 4-year Parquet extract about {disk.get('extract_mb', 0) / 1024:.1f} GiB "
              f"and the database after ingest and a 36-month backfill about "
              f"{disk.get('db_mb', 0) / 1024:.1f} GiB; DuckDB spills to its temp directory when a "
              "step needs more than its memory limit (`AOS_MEMORY_LIMIT`; default 3GB for `aos ingest`, "
              "6GB for `aos run` and for `aos evaluate`'s cohort months and back-test, 2GB for "
              "its model, whose fit adds a training sample of at most `max_train_rows` rows in "
              "Python), which takes up to that much again.", ""]
    lines += ["## Where one machine stops being enough", ""]
    monthly = [s for s in ("ingest", "one_month") if s in steps]
    if len(monthly) == 2:
        m = {c: sum(steps[s][f"seconds_{c}_cores"] for s in monthly) for c in CORES}
        ideal = sum(steps[s][f"seconds_{CORES[1]}_cores_ideal"] for s in monthly)
        work_fit = [fit[s]["cpu_seconds"] for s in monthly]
        night = 8 * 3600
        # patients (M) at which the monthly job's work on 16 cores (Amdahl) takes one night
        per_m = sum(f["slope"] * ((1 - steps[s]["parallel_fraction"]) +
                                  steps[s]["parallel_fraction"] / CORES[1])
                    for f, s in zip(work_fit, monthly))
        limit = night / per_m if per_m > 0 else float("inf")
        lines += [f"The monthly job (ingest of the new extract, then one month's cohort) needs about "
                  f"{hours(m[CORES[0]])} on {CORES[0]} cores and {hours(m[CORES[1]])} on "
                  f"{CORES[1]} cores at national size ({hours(ideal)} ideally). By the same fits it would take one night "
                  f"(8 h) on {CORES[1]} cores at about {limit:,.0f} M patients."]
    if "backfill" in steps:
        b = steps["backfill"]
        lines += [f"A 36-month backfill (a new rules version, or a rebuilt database) needs "
                  f"{hours(b[f'seconds_{CORES[1]}_cores'])} on {CORES[1]} cores "
                  f"({hours(b[f'seconds_{CORES[1]}_cores_ideal'])} ideally)."]
    peak = max(v["peak_mb"] for v in steps.values()) / 1024  # every step: DuckDB within its limit
    lines += [f"The largest peak of the steps, about {peak:.0f} GiB "
              "without a limit, "
              + ("fits in a common 64 GiB server" if peak < 48 else
                 "is more than a common 64 GiB server holds, so at national size DuckDB must "
                 "spill to its temp directory within its memory limit (issue 14 point 4 checks "
                 "that it then still succeeds), which makes the step slower than the fits say")
              + "."]
    if "evaluate" in steps and "evaluate" in fit:
        lines += evaluate_memory(runs, fit["evaluate"]["peak_mb"], steps["evaluate"]["peak_mb"])
    lines += ["",
              "So one machine with 16 cores, 64 GiB and a fast local disk of a few times the "
              "database size is enough while the numbers above stay within a night; it stops "
              "being enough when the monthly job no longer does (the patient count above), or "
              "when spilling makes it slower than the fits say. Beyond that the natural split "
              "is by region: extracts already come per region, the cohort is per patient, and "
              "only the releasable aggregates need combining nationally.", ""]
    return lines


TEMPLATE_HEAD = """# Performance and scaling

How the cost of each step grows with the number of patients, measured against the physical
limit (one DuckDB scan reading every column of every input file), and what a national run
({national} M patients) needs. This page is generated from `benchmarks/results/scaling.json` by
`python -m benchmarks.bench_scaling --doc`; do not edit the numbers by hand.

## What is measured

Synthetic 4-year extracts (2022-01..2025-12, seed 1, Parquet) of 0.25, 0.5, 1, 2 and 3 million
patients (`aos synth`, cached under `AOS_BENCH_CACHE`). Each step runs the installed `aos`
command in a subprocess; the time is its wall time and the memory the peak resident memory of
its process tree, sampled every 0.1 s.

| step | command |
|---|---|
| raw scan (the limit) | `select count(*), sum(hash(t)) from read_parquet(f) t` over every input file, warm cache |
| plain copy (load floor) | `create table t as select * from read_parquet(f)` of every input file into a new DuckDB file, then `checkpoint`: storing the rows with no check at all, the floor of any ingest |
| month's results copy (its floor) | after the one-month run, `create table t as select * from db.t where month = {month}` (the aggregates: its month index) of every table the cohort writes, each followed by `checkpoint`, into a new DuckDB file: storing what the month stores, with nothing computed |
| backfill's results copy (its floor) | the same after the backfill, of every row of every table it wrote (all but the ingested tables) |
| aos ingest | `aos ingest EXTRACT --db DB` into an empty database |
| one month | a database holding the extract cut at {cut} with the cohort of {prev}, the full extract ingested on top, then `aos run --db DB --month {month} --no-report` (only this is timed) |
| 36-month backfill | `aos run --db DB --month {bf[0]} --to {bf[1]} --no-report` on the freshly ingested database |
| aos evaluate | `aos evaluate --from {ev[0]} --to {ev[1]}` on the backfilled database |

## How to reproduce

    make bench                                   # every benchmark, the scaling curve last
    AOS_BENCH_ONLY=scaling make bench            # only the scaling curve
    AOS_BENCH_SIZES=250000,500000 AOS_BENCH_ONLY=scaling make bench   # some sizes
    AOS_BENCH_SIZES=none make bench              # every benchmark but the scaling curve
    .venv/bin/python -m benchmarks.bench_scaling --doc   # rewrite this page from scaling.json

`AOS_BENCH_CACHE` (default `/tmp/aos-bench-cache`) holds the extracts
(`synth-<n>-202201-202512-seed1`, about half a minute per million patients with `aos synth`)
and, beside each, the copy cut at {cut} for the one-month set-up. A size already measured
with the same code (the tree of `pipeline/`, `sql/` and the dependency files) is skipped;
`AOS_BENCH_FORCE=1` measures again. Results are saved after each size, so an interrupted run
keeps what it measured. How long the curve takes is under Results. `AOS_BENCH_WORK` chooses
where the temporary databases go (a few GiB at 3 M); `AOS_BENCH_ONE_CORE_AT` the size also
run pinned to one core (default: the smallest).
"""


def main() -> dict | None:
    todo = sizes()
    if not todo:
        print("bench_scaling: skipped (AOS_BENCH_SIZES=none)", flush=True)
        return None
    doc = load()
    (version, tree), force = code_version(), os.environ.get("AOS_BENCH_FORCE") == "1"
    one_core_at = int(os.environ.get("AOS_BENCH_ONE_CORE_AT", min(todo)))
    for n in todo:
        if not should_measure(doc, n, tree, force):
            print(f"scaling {n:,}: already measured with code {version}, skipped", flush=True)
            continue
        t0 = time.perf_counter()
        run = measure_size(n, pin=n == one_core_at and shutil.which("taskset") is not None)
        run["total_seconds"] = round(time.perf_counter() - t0)
        doc["runs"][str(n)] = run
        doc["machine"] = run["machine"]
        save(doc)
        plot(doc)
        print(f"scaling {n:,}: saved to {RESULTS} ({run['total_seconds']} s in all)", flush=True)
        write_doc(doc)
    return doc


def write_doc(doc: dict) -> None:
    DOC.write_text(render(doc))
    print(f"wrote {DOC}", flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["--doc"]:  # fits again from the runs, so JSON and doc agree
        save(doc := load())
        write_doc(doc)
    elif sys.argv[1:] == ["--plot"]:
        plot(load())
        print(f"wrote {PLOT}")
    else:
        main()
