"""Run the report SQL in sql/report/ with named parameters."""
from __future__ import annotations

import pandas as pd

from ..paths import SQL_DIR
from ..sqlfiles import bind, statements

REPORT_SQL = SQL_DIR / "report"


def execute(con, name: str, **params) -> None:
    """Run every statement of sql/report/<name>.sql."""
    for stmt in statements(REPORT_SQL / f"{name}.sql"):
        con.execute(stmt, bind(stmt, params))


def query(con, name: str, **params) -> pd.DataFrame:
    """Run the one query of sql/report/<name>.sql and return its rows."""
    (stmt,) = statements(REPORT_SQL / f"{name}.sql")
    return con.execute(stmt, bind(stmt, params)).df()
