"""Open a synthetic extract (and its truth) as DuckDB views."""
from __future__ import annotations

import tomllib

import duckdb

from pipeline import schema


def open_extract(d) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for t in schema.EXTRACT_TABLES:
        con.execute(f"CREATE VIEW {t.name} AS SELECT * FROM read_parquet('{d}/{t.name}.parquet')")
    for name in ("cancers", "referrals", "episodes", "conditions"):
        con.execute(f"CREATE VIEW truth_{name} AS SELECT * FROM read_parquet('{d}/truth/{name}.parquet')")
    meta = tomllib.loads((d / "extract.toml").read_text(encoding="utf-8"))
    for key in ("extract_date", "cancer_register_complete_until"):
        con.execute(f"SET VARIABLE {key} = DATE '{meta[key]}'")
    return con


def one(con, sql: str):
    return con.execute(sql).fetchone()
