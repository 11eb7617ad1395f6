"""Build a minimal database from a few literal rows (for boundary tests)."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from pipeline import schema

from .fixture_db import COHORT_DDL


def minidb(path: Path, rows: dict[str, list[dict]]) -> Path:
    con = duckdb.connect(str(path))
    schema.create_all(con)
    con.execute(COHORT_DDL)
    for table, recs in rows.items():
        df = pd.DataFrame(recs)
        con.register("_df", df)
        con.execute(f"INSERT INTO {table} ({', '.join(df.columns)}) SELECT * FROM _df")
        con.unregister("_df")
    con.close()
    return path
