"""Run the files of `sql/evaluate/` with named parameters ($name)."""
from __future__ import annotations

from ..paths import SQL_DIR
from ..sqlfiles import bind, statements

EVAL_SQL_DIR = SQL_DIR / "evaluate"


def run_file(con, name: str, params: dict):
    """Execute every statement of `name`; return the result of the last one as a DataFrame
    when it is a query, else None."""
    result = None
    for sql in statements(EVAL_SQL_DIR / name):
        cur = con.execute(sql, bind(sql, params))
        result = cur.df() if cur.description else None
    return result
