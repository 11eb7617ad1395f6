"""Run the files of `sql/evaluate/` with named parameters ($name)."""
from __future__ import annotations

import re

from ..paths import SQL_DIR

EVAL_SQL_DIR = SQL_DIR / "evaluate"
_PARAM = re.compile(r"\$([A-Za-z_]\w*)")


def statements(name: str) -> list[str]:
    """The statements of one SQL file (each ends with ';' at the end of a line)."""
    text = (EVAL_SQL_DIR / name).read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*$", body, flags=re.M) if s.strip()]


def run_file(con, name: str, params: dict):
    """Execute every statement of `name`; return the result of the last one as a DataFrame
    when it is a query, else None."""
    result = None
    for sql in statements(name):
        used = {k: params[k] for k in set(_PARAM.findall(sql))}
        cur = con.execute(sql, used)
        result = cur.df() if cur.description else None
    return result
