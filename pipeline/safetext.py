"""Output-safe text: the one rule for every text cell we write (CSV, xlsx, HTML).

- control characters (C0 incl. tab/CR/LF, DEL, C1) and the invisible direction marks
  (U+200E/U+200F, U+061C, U+202A–U+202E, U+2066–U+2069) become U+FFFD, visibly;
- a cell starting with `=`, `+`, `-`, `@` (OWASP "CSV injection") gets a leading `'`, unless the
  whole cell is a plain number (`-2.5` stays a number; `-2+3` does not);
- xlsx cells are cut at Excel's 32,767 characters with a visible marker (`xlsx_text`).

`plain` is the rule for HTML and terminal messages: control and direction characters only.
`install(con)` creates the same rule as `text` as the DuckDB macro `aos_safe_text(x)` (`COPY` paths).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

_UNSAFE = "\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069"
UNSAFE_RE = re.compile(f"[{_UNSAFE}]")
REPLACEMENT = "\ufffd"
FORMULA_START = "=+-@\t\r"
NUMBER = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"
_NUMBER_RE = re.compile(NUMBER)
XLSX_MAX = 32_767
TRUNCATED = "…[truncated]"


def text(s: str) -> str:
    """`s` safe for any output cell."""
    s = UNSAFE_RE.sub(REPLACEMENT, s)
    if s[:1] and s[0] in FORMULA_START and not _NUMBER_RE.fullmatch(s):
        return "'" + s
    return s


def xlsx_text(s: str) -> str:
    s = text(s)
    return s if len(s) <= XLSX_MAX else s[: XLSX_MAX - len(TRUNCATED)] + TRUNCATED


PLAIN_UNSAFE_RE = re.compile("[" + _UNSAFE.replace("\\x00-\\x1f", "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f") + "]")


def plain(v):
    """Text that keeps its whitespace (tab, newline) where a formula start means nothing: HTML
    (escaped by the template engine) and messages on a terminal. Control and direction characters
    become U+FFFD; other values are returned unchanged."""
    if isinstance(v, str) and PLAIN_UNSAFE_RE.search(v):
        return type(v)(PLAIN_UNSAFE_RE.sub(REPLACEMENT, v))  # keeps jinja2 Markup as Markup
    return v


def value(v):
    """`text` for strings; other values unchanged."""
    return text(v) if isinstance(v, str) else v


def frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` with every string cell made safe (object/string columns only)."""
    import pandas as pd  # here: `aos run --no-report` never needs pandas

    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(value)
    out.columns = [value(str(c)) for c in out.columns]
    return out


def _sql_regex(pattern: str) -> str:
    """Python `\\uXXXX` escapes as RE2 `\\x{XXXX}`; quotes doubled for a SQL literal."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", r"\\x{\1}", pattern).replace("'", "''")


def macro_sql() -> str:
    starts = "=+\\-@\\t\\r"  # FORMULA_START as an RE2 class
    clean = f"regexp_replace(x, '[{_sql_regex(_UNSAFE)}]', '{REPLACEMENT}', 'g')"
    return ("CREATE OR REPLACE TEMP MACRO aos_neutral(y) AS CASE "
            f"WHEN regexp_matches(y, '^[{starts}]') AND NOT regexp_full_match(y, '{NUMBER}') "
            "THEN '''' || y ELSE y END;\n"
            f"CREATE OR REPLACE TEMP MACRO aos_safe_text(x) AS aos_neutral({clean});")


def install(con) -> None:
    con.execute(macro_sql())
