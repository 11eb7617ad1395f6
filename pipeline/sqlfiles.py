"""The one way to run SQL files of `sql/`: load, render, split, bind, run, time.

Parameters are DuckDB named parameters (`$name`), bound by DuckDB. Where DuckDB cannot bind a
parameter (macro bodies, window-frame bounds, DDL such as `COPY ... TO`), a file writes
`{{ name }}` and the value is rendered as a literal by `literal`, the only SQL escaper.
Statements are split by DuckDB's own parser (`duckdb.extract_statements`).
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import duckdb

from .paths import SQL_DIR

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")


def literal(value) -> str:
    """A value as a SQL literal (numbers, strings, dates, lists); the only SQL escaper."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"CAST({value!r} AS DOUBLE)"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if hasattr(value, "isoformat"):
        return f"DATE '{value.isoformat()}'"
    raise TypeError(f"cannot render {type(value).__name__} as a SQL literal")


def render(text: str, params: dict, name: str = "<sql>") -> str:
    """Fill the `{{ name }}` placeholders of `text` with literals; an unknown one is an error."""
    def sub(m: re.Match) -> str:
        key = m.group(1)
        if key not in params:
            raise KeyError(f"{name}: unknown parameter {{{{ {key} }}}}")
        return literal(params[key])
    return PLACEHOLDER.sub(sub, text)


def load(relpath: str | Path) -> str:
    """The text of a file under `sql/` (or of an absolute path)."""
    return (SQL_DIR / relpath).read_text(encoding="utf-8")


def split(text: str) -> list[tuple[str, set[str]]]:
    """(statement, its named parameters) for every statement of `text`, by DuckDB's parser."""
    return [(s.query, set(s.named_parameters)) for s in duckdb.extract_statements(text)]


def statements(path: str | Path, params: dict | None = None) -> list[str]:
    """The statements of one SQL file, `{{ }}` placeholders rendered from `params`."""
    return [q for q, _ in split(render(load(path), params or {}, str(path)))]


def bind(names: set[str], params: dict, name: str = "<sql>") -> dict:
    """The values of the parameters one statement uses; a missing one is an error naming it."""
    missing = names - params.keys()
    if missing:
        raise KeyError(f"{name}: sql parameter(s) {sorted(missing)} not given")
    return {k: params[k] for k in names}


# Statements whose only result is a row count: not a query (and no DataFrame, so no pandas).
_COUNTS = {duckdb.StatementType.INSERT, duckdb.StatementType.CREATE, duckdb.StatementType.DELETE,
           duckdb.StatementType.UPDATE}


def run(con, text: str, params: dict | None = None, name: str = "<sql>"):
    """Run every statement of `text`; the result of the last one as a DataFrame when it is a
    query, else None."""
    params = params or {}
    parts = split(render(text, params, name))
    cur = None
    for stmt, names in parts:
        cur = con.execute(stmt, bind(names, params, name)) if names else con.execute(stmt)
    if cur is None or not cur.description or duckdb.extract_statements(parts[-1][0])[0].type in _COUNTS:
        return None
    return cur.df()


def run_file(con, relpath: str | Path, params: dict | None = None, timings: dict | None = None,
             progress=None):
    """Run one file of `sql/` (see `run`); record its time in `timings[stem]` and tell
    `progress` when given."""
    start = time.perf_counter()
    result = run(con, load(relpath), params, str(relpath))
    took = time.perf_counter() - start
    if timings is not None:
        timings[Path(relpath).stem] = round(took, 3)
    if progress:
        progress(f"  {Path(relpath).stem}: {took:.1f} s")
    return result
