"""Build one database per session from the bundled sample (data_samples/) for the notebooks:
the sample ingested (or its first AOS_NB_PATIENTS patients, for a quicker run) and 25 cohort
months computed."""
from __future__ import annotations

import importlib.util
import os
import shutil
import tomllib
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline import schema
from pipeline.paths import SAMPLE_DIR as BUNDLED

# Another extract (e.g. from `aos synth`) can stand in for data_samples/ with AOS_NB_SAMPLE.
SAMPLE_DIR = Path(os.environ.get("AOS_NB_SAMPLE", BUNDLED))
NOTEBOOK_PATIENTS = int(os.environ.get("AOS_NB_PATIENTS", "0"))  # 0 = every patient


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    return date(y, m + 1, 1)


def ym(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def sample_missing() -> str:
    if not (SAMPLE_DIR / "extract.toml").exists() or not list(SAMPLE_DIR.glob("patients.*")):
        return "the bundled sample (data_samples/) does not exist yet"
    for mod in ("pipeline.cohort.engine", "pipeline.ingest", "pipeline.report.build"):
        if importlib.util.find_spec(mod) is None:
            return f"{mod} does not exist yet"
    return ""


def subset_extract(out: Path, n: int) -> Path:
    """The sample restricted to its first n patients (Parquet tables; others copied as is)."""
    out.mkdir(parents=True)
    shutil.copy(SAMPLE_DIR / "extract.toml", out / "extract.toml")
    con = duckdb.connect()
    keep = SAMPLE_DIR / "patients.parquet"
    for f in SAMPLE_DIR.iterdir():
        if not f.is_file() or f.name == "extract.toml":
            continue
        table = f.name.split(".")[0]
        has_pid = table in schema.TABLES_BY_NAME and any(
            c.name == "patient_id" for c in schema.table(table).columns)
        if f.suffix == ".parquet" and keep.exists() and has_pid:
            con.execute(f"""COPY (SELECT * FROM read_parquet('{f}') WHERE patient_id IN (
                SELECT patient_id FROM read_parquet('{keep}') ORDER BY patient_id LIMIT {n}))
                TO '{out / f.name}' (FORMAT parquet)""")
        else:
            shutil.copy(f, out / f.name)
    return out


@pytest.fixture(scope="session")
def notebook_db(tmp_path_factory) -> Path:
    reason = sample_missing()
    if reason:
        pytest.skip(reason)
    from pipeline.cohort import engine
    from pipeline.cohort.rules import load_rules
    from pipeline.ingest import ingest_extract

    base = tmp_path_factory.mktemp("notebooks")
    extract = subset_extract(base / "extract", NOTEBOOK_PATIENTS) if NOTEBOOK_PATIENTS else SAMPLE_DIR
    db = base / "aos.duckdb"
    ingest_extract(extract, db, progress=False)
    meta = tomllib.loads((extract / "extract.toml").read_text(encoding="utf-8"))
    con = duckdb.connect(str(db))
    until = con.execute("SELECT max(cancer_register_complete_until), max(data_complete_until) "
                        "FROM extract_meta").fetchone()
    register = until[0] or meta.get("cancer_register_complete_until")
    latest = until[1] or meta.get("data_complete_until")
    # Back-test months: 24 months ending with the last one with complete 6-month follow-up
    # (the first 12 are its look-back); plus the latest month, for "this month".
    last = add_months(date(register.year, register.month, 1), -6)
    rules = load_rules()
    engine.compute(con, ym(add_months(last, -23)), ym(last), rules)
    engine.drop_temp(con)
    this_month = date(latest.year, latest.month, 1)
    if this_month > last:
        engine.compute(con, ym(this_month), ym(this_month), rules)
        engine.drop_temp(con)
    con.close()
    return db
