"""Helpers for the OMOP tests: write hand-made OMOP tables, ingest them, read the database."""
from __future__ import annotations

import csv
import gzip
import zipfile
from pathlib import Path

import duckdb
import pytest

from pipeline.omop.ingest import ingest_omop

REPO = Path(__file__).resolve().parents[2]
# <repo>/../shared/external (CI: shared/ beside the clone); a worktree sits one level deeper.
EXTERNAL = next((p / "shared" / "external" for p in (REPO.parent, REPO.parent.parent)
                 if (p / "shared" / "external").is_dir()), REPO.parent / "shared" / "external")
EUNOMIA_ZIP = EXTERNAL / "eunomia-synthea27nj" / "Synthea27Nj_5.4.zip"
MIMIC = EXTERNAL / "mimic-iv-demo-omop-partial"

PERSON_COLS = ("person_id", "gender_concept_id", "year_of_birth", "care_site_id", "gender_source_value")


def write_table(folder: Path, name: str, header, rows, sep: str = ",", form: str = "csv") -> Path:
    """One OMOP table file: form csv, csv.gz or parquet."""
    folder.mkdir(parents=True, exist_ok=True)
    if form == "parquet":
        path = folder / f"{name}.parquet"
        con = duckdb.connect()
        cols = ", ".join(f'"{h}" VARCHAR' for h in header)
        con.execute(f"CREATE TABLE t ({cols})")
        if rows:
            con.executemany(f"INSERT INTO t VALUES ({', '.join('?' for _ in header)})",
                            [[None if v == "" else str(v) for v in r] for r in rows])
        con.execute(f"COPY t TO '{path}' (FORMAT parquet)")
        con.close()
        return path
    path = folder / f"{name}.{form}"
    opener = gzip.open if form == "csv.gz" else open
    with opener(path, "wt", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=sep)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_omop(folder: Path, tables: dict, **kw) -> Path:
    """tables: {name: (header, rows)}."""
    for name, (header, rows) in tables.items():
        write_table(folder, name, header, rows, **kw)
    return folder


def ingest(folder, db, **kw):
    return ingest_omop(folder, db, progress=False, **kw)


def rows(db, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def reconciliation(db) -> dict[str, dict]:
    """Per OMOP table of the latest extract: read and the sum of every outcome, from the database."""
    out: dict[str, dict] = {}
    for tbl, outcome, target, n in rows(db, """
            SELECT source_table, outcome, target_table, sum(rows) FROM omop_reconciliation
            WHERE extract_id = (SELECT extract_id FROM extract_meta ORDER BY ingested_at DESC LIMIT 1)
            GROUP BY ALL"""):
        d = out.setdefault(tbl, {})
        key = outcome if target != "cancer_diagnoses" or outcome == "read" else "copy_" + outcome
        d[key] = d.get(key, 0) + int(n)
    return out


def assert_reconciles(db) -> dict[str, dict]:
    rec = reconciliation(db)
    for tbl, d in rec.items():
        rest = sum(d.get(k, 0) for k in ("loaded", "already", "quarantined", "not_used", "feeds"))
        assert d["read"] == rest, (tbl, d)
    # the loaded / quarantined counts agree with ingest_files and the quarantine table
    for table, source_file, read, loaded, already, quarantined in rows(db, """
            SELECT table_name, source_file, rows_read, rows_loaded, rows_already_present, rows_quarantined
            FROM ingest_files WHERE extract_id = (SELECT extract_id FROM extract_meta
                                                  ORDER BY ingested_at DESC LIMIT 1)"""):
        assert read == loaded + already + quarantined
        q = rows(db, "SELECT count(*) FROM quarantine WHERE table_name = ? AND source_file = ? "
                     "AND extract_id = (SELECT extract_id FROM extract_meta ORDER BY ingested_at DESC LIMIT 1)",
                 [table, source_file])[0][0]
        assert q == quarantined
    return rec


@pytest.fixture(scope="session")
def eunomia_dir(tmp_path_factory) -> Path:
    if not EUNOMIA_ZIP.is_file():
        pytest.skip(f"public OMOP dataset not found: {EUNOMIA_ZIP} (shared/external beside the repo)")
    dst = tmp_path_factory.mktemp("eunomia")
    with zipfile.ZipFile(EUNOMIA_ZIP) as z:
        for m in z.namelist():
            if m.endswith(".csv") and not m.startswith("__MACOSX"):
                z.extract(m, dst)
    return dst


@pytest.fixture(scope="session")
def mimic_dir() -> Path:
    if not (MIMIC / "person.csv").is_file():
        pytest.skip(f"public OMOP dataset not found: {MIMIC} (shared/external beside the repo)")
    return MIMIC
