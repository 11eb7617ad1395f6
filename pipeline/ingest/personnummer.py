"""De-identification guard (SPEC §5): refuse columns holding personnummer or samordningsnummer.

A value is *valid* when it has 10 or 12 digits, optionally with '-' or '+' before the last four,
a valid birth date (YYMMDD or YYYYMMDD with century 18/19/20; day + 60 for samordningsnummer)
and a Luhn check digit over the 10-digit form (SQL: sql/ingest/macros.sql `aos_pnr_valid`).

Values are searched anywhere in a cell (`candidates`: bounded by non-digits, so `R634 pnr …`,
`smd:…`, `…x` count). Rule for a column (every text column of every file, after mapping renames):
- any valid value written with a separator (YYMMDD-NNNC, YYYYMMDD-NNNC) flags the column;
- any valid 12-digit value with a century (18/19/20) flags the column;
- bare 10-digit values flag the column when the valid ones are the majority of the column's
  bare 10-digit values. A random 10-digit number is valid about 1 time in 150 (date and check
  digit), so pseudonymous numeric ids and phone numbers (07xxxxxxxx) stay well below half, while a
  column of real personnummer is valid throughout.
The refusal names the file and the column and the number of values, never a value.
Single strings — a file's header, extract.toml and mapping keys and values, file names — are
refused on any one valid value.
"""
from __future__ import annotations

import datetime as dt
import re

from ..errors import DataRefused
from .reference import ident

_FORM = re.compile(r"(\d{2})?\d{6}[-+]?\d{4}", re.ASCII)


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


# Digit runs joined by single '-' / '+' ("chains"); a candidate is a group of 10 or 12 digits, or a
# group of 6 or 8 followed in its chain by a group of exactly 4.
CHAINS = r"\d+(?:[-+]\d+)*"
_CHAIN_RE = re.compile(CHAINS, re.ASCII)
# A cell that is exactly a UUID (8-4-4-4-12 hex, as OMOP/Synthea source values are) is an
# identifier, not text: its hex groups would otherwise pass for YYMMDD-NNNN about once in a
# thousand UUIDs.
UUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
_UUID_RE = re.compile(UUID, re.ASCII)


def candidates(text: str) -> list[str]:
    """Personnummer-shaped parts of `text` bounded by non-digits: a digit run of 10 or 12, or a
    run of 6 or 8 digits, a separator and a run of exactly 4, written with '-' (Python twin of
    `column_counts_sql`). A cell that is exactly a UUID has none."""
    if _UUID_RE.fullmatch(text):
        return []
    out = []
    for chain in _CHAIN_RE.findall(text):
        groups = re.split("[-+]", chain)
        for i, g in enumerate(groups):
            if len(g) in (10, 12):
                out.append(g)
            elif len(g) in (6, 8) and i + 1 < len(groups) and len(groups[i + 1]) == 4:
                out.append(f"{g}-{groups[i + 1]}")
    return out


def contains_personnummer(text: str) -> bool:
    """A single string (a name, a key, a setting): any valid candidate counts."""
    return any(is_personnummer(c) for c in candidates(text))


def column_counts_sql(stg: str, columns: list[str], types: dict[str, str] | None = None) -> str:
    """Per column: valid candidates with a separator, valid 12-digit candidates, bare 10-digit
    candidates and valid bare 10-digit candidates. Candidates are found anywhere in the text
    (`candidates`); only cells with 10 digits in a row, or 6 + separator + 4, are split.
    `types` (read.Staged.types): a native DATE column has no candidate; a native DOUBLE is
    checked in its pyarrow text, only when that text can hold 10 digits in a row (not for a
    number below 1e9 with at most 6 decimals)."""
    types = types or {}
    branches = []
    for i, c in enumerate(columns):
        x, where = ident(c), ""
        if types.get(c) == "date":
            continue
        if types.get(c) == "double":
            where = f"NOT (abs({x}) < 1e9 AND round({x}, 6) = {x}) AND "
            x = f"aos_double_text({x})"
        branches.append(f"SELECT {i} AS col, v FROM (SELECT {x} AS v FROM {stg} WHERE {where}true) "
                        f"WHERE length(v) >= 10 AND regexp_matches(v, '\\d{{10}}|\\d{{6}}[-+]\\d{{4}}') "
                        f"AND NOT regexp_full_match(v, '{UUID}')")
    if not branches:
        branches = ["SELECT 0 AS col, '' AS v WHERE false"]
    pick = ("list_filter(list_transform(g, lambda x, i: CASE WHEN length(x) IN (10, 12) THEN x "
            "WHEN length(x) IN (6, 8) AND length(g[i + 1]) = 4 THEN x || '-' || g[i + 1] END), "
            "lambda c: c IS NOT NULL)")
    chains = (f"SELECT col, unnest(regexp_extract_all(v, '{CHAINS}')) AS chain "
              f"FROM ({' UNION ALL '.join(branches)})")
    cands = f"SELECT col, unnest({pick}) AS v FROM (SELECT col, string_split_regex(chain, '[-+]') AS g FROM ({chains}))"
    # validity once per candidate; the cheap check digit first (9 in 10 random numbers fail it)
    ok = "CASE WHEN aos_luhn_ok(right(d, 10)) THEN aos_pnr_digits_ok(d) ELSE false END"
    return (
        "SELECT col, "
        "count(*) FILTER (WHERE v <> d AND ok), "
        "count(*) FILTER (WHERE v = d AND length(d) = 12 AND ok), "
        "count(*) FILTER (WHERE length(v) = 10), "
        "count(*) FILTER (WHERE length(v) = 10 AND ok) "
        f"FROM (SELECT col, v, d, {ok} AS ok FROM "
        f"(SELECT col, v, regexp_replace(v, '[-+]', '') AS d FROM ({cands}))) GROUP BY col")


def flagged(n_sep: int, n_c12: int, n_d10: int, n_d10_valid: int) -> bool:
    return n_sep > 0 or n_c12 > 0 or (n_d10_valid > 0 and 2 * n_d10_valid > n_d10)


def check_staged(con, stg: str, columns: list[str], source_file: str, types: dict[str, str] | None = None) -> None:
    """Raise DataRefused naming the first column of `stg` that holds personnummer."""
    if not columns:
        return
    counts = {r[0]: r[1:] for r in con.execute(column_counts_sql(stg, columns, types)).fetchall()}
    for i, col in enumerate(columns):
        n_sep, n_c12, n_d10, n_d10_valid = counts.get(i, (0, 0, 0, 0))
        if flagged(n_sep, n_c12, n_d10, n_d10_valid):
            n = n_sep + n_c12 + n_d10_valid
            raise DataRefused(
                f"{source_file}: column {col}: holds Swedish personnummer or samordningsnummer "
                f"({n:,} values); extracts must be pseudonymised (SPEC §5). No data were loaded.")


_NOT_ALLOWED = "extracts must be pseudonymised (SPEC §5). No data were loaded."
_DIGIT_RUN = re.compile(r"\d{6}", re.ASCII)


def safe_key(key: str) -> str:
    """A TOML key or header as it may be quoted in a message: never one with a run of 6 digits."""
    return "(a key with a digit run)" if _DIGIT_RUN.search(key) else key


def check_header(source_file: str, names: list[str]) -> None:
    """Refuse a file whose first row holds a personnummer: it is data, not a header."""
    if any(contains_personnummer(n) for n in names):
        raise DataRefused(f"{source_file}: the first row is not a header: it holds a personnummer "
                          f"or samordningsnummer; {_NOT_ALLOWED}")


def check_toml(where: str, data, path: str = "") -> None:
    """Refuse a TOML document (extract.toml, a mapping) with a personnummer in any key or value;
    the message names the key path (a key that holds one is not quoted)."""
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for k, v in items:
        here = f"{path}.{safe_key(str(k))}" if path else safe_key(str(k))
        if isinstance(k, str) and contains_personnummer(k):
            raise DataRefused(f"{where}: {here}: a key holds a personnummer or samordningsnummer; {_NOT_ALLOWED}")
        if isinstance(v, (dict, list)):
            check_toml(where, v, here)
        elif isinstance(v, (str, int, float)) and contains_personnummer(str(v)):
            raise DataRefused(f"{where}: {here}: holds a personnummer or samordningsnummer; {_NOT_ALLOWED}")


def check_file_names(directory, names) -> None:
    if any(contains_personnummer(n) for n in names):
        raise DataRefused(f"{directory}: a file name holds a personnummer or samordningsnummer; "
                          f"{_NOT_ALLOWED}")
