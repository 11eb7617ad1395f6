"""De-identification guard (SPEC §5): refuse columns holding personnummer or samordningsnummer.

A value is *valid* when it has 10 or 12 digits, optionally with '-' or '+' before the last four,
a valid birth date (YYMMDD or YYYYMMDD with century 18/19/20; day + 60 for samordningsnummer)
and a Luhn check digit over the 10-digit form (SQL: sql/ingest/macros.sql `aos_pnr_valid`).

Rule for a column (every text column of every file, after mapping renames):
- any valid value written with a separator (YYMMDD-NNNC, YYYYMMDD-NNNC) flags the column;
- any valid 12-digit value with a century (18/19/20) flags the column;
- bare 10-digit values flag the column when the valid ones are the majority of the column's
  bare 10-digit values. A random 10-digit number is valid about 1 time in 150 (date and check
  digit), so pseudonymous numeric ids and phone numbers (07xxxxxxxx) stay well below half, while a
  column of real personnummer is valid throughout.
The refusal names the file and the column and the number of values, never a value.
"""
from __future__ import annotations

import datetime as dt
import re

from ..errors import DataRefused
from .reference import ident

_FORM = re.compile(r"(\d{2})?\d{6}[-+]?\d{4}")


def luhn_check_digit(nine: str) -> int:
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


def _date_ok(yyyymmdd: str) -> bool:
    day = int(yyyymmdd[6:8]) % 60
    try:
        dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), day)
        return True
    except ValueError:
        return False


def is_personnummer(value: str) -> bool:
    """Python reference of the SQL macro `aos_pnr_valid` (used by tests and the generator)."""
    if not _FORM.fullmatch(value):
        return False
    digits = value.replace("-", "").replace("+", "")
    if len(digits) == 12:
        if digits[:2] not in ("18", "19", "20") or not _date_ok(digits[:8]):
            return False
    elif not (_date_ok("19" + digits[:6]) or _date_ok("20" + digits[:6])):
        return False
    ten = digits[-10:]
    return luhn_check_digit(ten[:9]) == int(ten[9])


def column_counts_sql(stg: str, columns: list[str]) -> str:
    """Per column: valid values with a separator, valid 12-digit values, bare 10-digit values and
    valid bare 10-digit values. Only values shaped like a personnummer reach the validity check."""
    shape = "(\\d{2})?\\d{6}[-+]?\\d{4}"
    branches = [
        f"SELECT {i} AS col, v, regexp_replace(v, '[-+]', '') AS d FROM "
        f"(SELECT trim({ident(c)}) AS v FROM {stg} "
        f"WHERE length({ident(c)}) >= 10 AND substr({ident(c)}, 5, 1) <> '-') "  # not ISO dates
        f"WHERE length(v) BETWEEN 10 AND 13 AND regexp_full_match(v, '{shape}')"
        for i, c in enumerate(columns)]
    return (
        "SELECT col, "
        "count(*) FILTER (WHERE v <> d AND aos_pnr_digits_ok(d)), "
        "count(*) FILTER (WHERE v = d AND length(d) = 12 AND aos_pnr_digits_ok(d)), "
        "count(*) FILTER (WHERE length(v) = 10), "
        "count(*) FILTER (WHERE length(v) = 10 AND aos_pnr_digits_ok(d)) "
        f"FROM ({' UNION ALL '.join(branches)}) GROUP BY col")


def flagged(n_sep: int, n_c12: int, n_d10: int, n_d10_valid: int) -> bool:
    return n_sep > 0 or n_c12 > 0 or (n_d10_valid > 0 and 2 * n_d10_valid > n_d10)


def check_staged(con, stg: str, columns: list[str], source_file: str) -> None:
    """Raise DataRefused naming the first column of `stg` that holds personnummer."""
    if not columns:
        return
    counts = {r[0]: r[1:] for r in con.execute(column_counts_sql(stg, columns)).fetchall()}
    for i, col in enumerate(columns):
        n_sep, n_c12, n_d10, n_d10_valid = counts.get(i, (0, 0, 0, 0))
        if flagged(n_sep, n_c12, n_d10, n_d10_valid):
            n = n_sep + n_c12 + n_d10_valid
            raise DataRefused(
                f"{source_file}: column {col}: holds Swedish personnummer or samordningsnummer "
                f"({n:,} values); extracts must be pseudonymised (SPEC §5). No data were loaded.")
