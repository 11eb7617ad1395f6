"""Load SQL files from `sql/`, fill in `{{ name }}` parameters as literals, run them."""
from __future__ import annotations

import re
import time
from pathlib import Path

from ..paths import SQL_DIR

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")


def literal(value) -> str:
    """A parameter value as a SQL literal (numbers, strings, dates, lists)."""
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
    raise TypeError(f"cannot render {value!r} as a SQL literal")


def render(text: str, params: dict, name: str = "<sql>") -> str:
    def sub(m: re.Match) -> str:
        key = m.group(1)
        if key not in params:
            raise KeyError(f"{name}: unknown parameter {{{{ {key} }}}}")
        return literal(params[key])
    return PLACEHOLDER.sub(sub, text)


def load(relpath: str) -> str:
    return (SQL_DIR / relpath).read_text(encoding="utf-8")


def run_file(con, relpath: str, params: dict, timings: dict | None = None,
             progress=None) -> None:
    """Run every `;`-separated statement of one SQL file; record its time."""
    sql = render(load(relpath), params, relpath)
    start = time.perf_counter()
    con.execute(sql)
    took = time.perf_counter() - start
    if timings is not None:
        timings[Path(relpath).stem] = round(took, 3)
    if progress:
        progress(f"  {Path(relpath).stem}: {took:.1f} s")
