"""The report's SQL files (sql/report/<name>.sql), run through `pipeline.sqlfiles`."""
from __future__ import annotations

import pandas as pd

from ..paths import SQL_DIR
from ..sqlfiles import run_file

REPORT_SQL = SQL_DIR / "report"


def execute(con, name: str, **params) -> None:
    """Run every statement of sql/report/<name>.sql."""
    run_file(con, f"report/{name}.sql", params)


def query(con, name: str, **params) -> pd.DataFrame:
    """Run sql/report/<name>.sql and return the rows of its (last) query."""
    return run_file(con, f"report/{name}.sql", params)
