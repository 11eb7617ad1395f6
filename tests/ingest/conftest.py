"""Helpers for the ingest tests: copy a hand-made fixture extract, ingest it, read tables."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipeline.ingest import ingest_extract

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
CANONICAL = FIXTURES / "canonical"
EXTRACT_TABLES = ("patients", "contacts", "prescriptions", "lab_results", "diagnoses",
                  "observations", "referrals", "cancer_diagnoses", "care_units")


@pytest.fixture
def canonical(tmp_path) -> Path:
    """A fresh copy of the canonical fixture extract."""
    dst = tmp_path / "extract"
    shutil.copytree(CANONICAL, dst)
    return dst


def ingest(extract_dir, db_path, **kw):
    return ingest_extract(extract_dir, db_path, progress=False, **kw)


def rows(db_path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def snapshot(db_path) -> dict[str, list[tuple]]:
    """Every table's content, sorted (ingested_at excluded: only compared within one test)."""
    out = {}
    with duckdb.connect(str(db_path), read_only=True) as con:
        for (name,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall():
            out[name] = sorted(con.execute(f"SELECT * FROM {name}").fetchall(), key=repr)
    return out


def canonical_content(db_path) -> dict[str, list[tuple]]:
    """Extract tables only, sorted: compares ingests of the same data in different file forms."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        have = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
                for t in EXTRACT_TABLES if t in have}
