"""Read SQL files of `sql/` whose parameters are DuckDB named parameters (`$name`).

Used by the report (`sql/report/`) and evaluate (`sql/evaluate/`). The cohort engine renders
`{{ name }}` literals instead (`pipeline.cohort.sqlrun`), because its files hold DDL.
"""
from __future__ import annotations

import re
from pathlib import Path

_PARAM = re.compile(r"\$([A-Za-z_]\w*)")


def statements(path: Path) -> list[str]:
    """The statements of one SQL file (each ends with ';' at the end of a line); comments dropped."""
    text = Path(path).read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*$", body, flags=re.M) if s.strip()]


def bind(stmt: str, params: dict) -> dict:
    """The parameters one statement uses; a missing one is an error naming it."""
    names = set(_PARAM.findall(stmt))
    missing = names - params.keys()
    if missing:
        raise KeyError(f"sql parameter(s) {sorted(missing)} not given")
    return {k: params[k] for k in names}
