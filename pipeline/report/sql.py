"""Run the report SQL in sql/report/ with named parameters."""
from __future__ import annotations

import re

import pandas as pd

from ..paths import SQL_DIR

REPORT_SQL = SQL_DIR / "report"
_PARAM = re.compile(r"\$([A-Za-z_]\w*)")


def _statements(name: str) -> list[str]:
    text = (REPORT_SQL / f"{name}.sql").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


def _params(stmt: str, params: dict) -> dict:
    names = set(_PARAM.findall(stmt))
    missing = names - params.keys()
    if missing:
        raise KeyError(f"sql parameter(s) {sorted(missing)} not given")
    return {k: params[k] for k in names}


def execute(con, name: str, **params) -> None:
    """Run every statement of sql/report/<name>.sql."""
    for stmt in _statements(name):
        con.execute(stmt, _params(stmt, params))


def query(con, name: str, **params) -> pd.DataFrame:
    """Run the one query of sql/report/<name>.sql and return its rows."""
    (stmt,) = _statements(name)
    return con.execute(stmt, _params(stmt, params)).df()
