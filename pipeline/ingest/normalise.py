"""Per-kind SQL that turns staged text into canonical values, with the reason a value is refused.

Each column of `pipeline.schema` yields a `ColumnSQL`: the SQL expression of its canonical value
over the cleaned text `c.<column>` (trimmed, value-mapped, NULL when empty) and ordered checks
(condition, reason). Checks that need the extract date (dates after it, birth_year above its year)
and cross-table checks (orphans, duplicates) are applied later, in `load.py`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import schema
from .reference import case_map, code_spellings, codes, ident, quote

ICD10_RE = "[A-Z][0-9]{2}[0-9A-Z]{0,5}"
ATC_RE = "[A-Z][0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?"
# Date columns not checked against the extract date (a listing may end in the future).
UNCHECKED_DATES = {("patients", "listed_from"), ("patients", "listed_to")}
# (column kind, native type of the staged column) parsed natively (a Parquet DATE / DOUBLE read in
# place, read.Staged.types), with the same values and reasons as their pyarrow text form
NATIVE = {("date", "date"), ("number", "double"), ("lab_value", "double")}


def native_columns(t: schema.Table, types: dict[str, str] | None, value_maps: dict) -> frozenset[str]:
    """Staged columns of `t` parsed in their native type; other typed columns are parsed as text."""
    kinds = {c.name: c.kind for c in t.input_columns}
    return frozenset(n for n, typ in (types or {}).items()
                     if (kinds.get(n), typ) in NATIVE and not value_maps.get(n))


def text_of(expr: str, typ: str | None) -> str:
    """SQL of a staged value as text, as pyarrow writes it (`typ`: read.Staged.types)."""
    return {None: expr, "date": f"CAST({expr} AS VARCHAR)", "double": f"aos_double_text({expr})"}[typ]


def finite(x: str) -> str:
    """A native DOUBLE as a number: its text form parses to the same value unless nan / inf."""
    return f"CASE WHEN isfinite({x}) THEN {x} END"


@dataclass
class ColumnSQL:
    name: str
    value: str
    checks: list[tuple[str, str]] = field(default_factory=list)


def cleaned_select(t: schema.Table, stg: str, staged: list[str], value_maps: dict[str, dict[str, str]],
                   types: dict[str, str] | None = None) -> str:
    """SELECT of the staged text: trimmed, value-mapped, '' -> NULL; absent columns NULL;
    native columns (`native_columns`) as they are."""
    types = types or {}
    native = native_columns(t, types, value_maps)
    cols = []
    for col in t.input_columns:
        if col.name not in staged:
            cols.append(f"CAST(NULL AS VARCHAR) AS {ident(col.name)}")
            continue
        if col.name in native:
            cols.append(f"{ident(col.name)} AS {ident(col.name)}")
            continue
        x = text_of(ident(col.name), types.get(col.name))
        x = f"(CASE WHEN prefix({x}, ' ') OR suffix({x}, ' ') THEN trim({x}) ELSE {x} END)"  # trim: spaces only
        vmap = value_maps.get(col.name)
        if vmap:
            whens = " ".join(f"WHEN {quote(k)} THEN {quote(v)}" for k, v in vmap.items())
            x = f"(CASE {x} {whens} ELSE {x} END)"
        cols.append(f"nullif({x}, '') AS {ident(col.name)}")
    return f"SELECT _row, {', '.join(cols)} FROM {stg}"


def _missing(name: str) -> tuple[str, str]:
    return f"c.{name} IS NULL", quote(f"{name}: missing value")


def _bad(name: str, value_sql: str, what: str, native: frozenset = frozenset()) -> tuple[str, str]:
    return (f"c.{name} IS NOT NULL AND ({value_sql}) IS NULL",
            f"'{name}: ' || aos_q({_text(name, native)}) || {quote(' ' + what)}")


def _text(name: str, native: frozenset, typ: str = "double") -> str:
    """The cleaned value of column `name` as text (for a reason), also when it is native."""
    return text_of(f"c.{name}", typ if name in native else None)


def column_sql(t: schema.Table, col: schema.Column, native: frozenset = frozenset()) -> ColumnSQL:
    n, x, kind = col.name, f"c.{col.name}", col.kind
    required = col.required
    if n in native and kind == "date":  # a DATE is a valid date: only the 1900 check applies
        return ColumnSQL(n, x, ([_missing(n)] if required else []) + [
            (f"{x} < DATE '1900-01-01'", f"'{n}: ' || aos_q(CAST({x} AS VARCHAR)) || ' is before 1900'")])
    if kind == "id":
        return ColumnSQL(n, x, [_missing(n)] if required else [])
    if kind in ("text", "unit"):  # units are converted per table (observations, lab_results)
        return ColumnSQL(n, x, [_missing(n)] if required else [])
    if kind == "date":
        v = f"aos_date({x})"
        checks = [_missing(n)] if required else []
        checks += [(f"regexp_full_match({x}, '[+-]?\\d{{1,7}}')",  # no value echoed
                    quote(f"{n}: a plain number, not a date (day counts are read only from a "
                          "Parquet DATE column)")),
                   _bad(n, v, "is not a valid date (YYYY-MM-DD or YYYYMMDD)"),
                   (f"{v} < DATE '1900-01-01'", f"'{n}: ' || aos_q({x}) || ' is before 1900'")]
        return ColumnSQL(n, v, checks)
    if kind == "year":
        v = f"CASE WHEN regexp_full_match({x}, '\\d{{4}}') THEN CAST({x} AS INTEGER) END"
        return ColumnSQL(n, v, [_bad(n, v, "is not a year (YYYY)"),
                                (f"{v} < 1900", f"'{n}: ' || aos_q({x}) || ' is before 1900'")])
    if kind == "sex":  # SPEC §1 v1.1: empty or another coding -> NULL (unknown), kept
        return ColumnSQL(n, case_map(x, codes()[kind]))
    if kind in ("obs_kind", "referral_event"):
        v = case_map(x, codes()[kind])
        allowed = "/".join(code_spellings()[kind])
        checks = [_missing(n)] if required else []
        return ColumnSQL(n, v, checks + [_bad(n, v, f"is not one of {allowed}")])
    if kind == "icd10":
        v = f"upper(regexp_replace({x}, '[.\\s]', '', 'g'))"
        ok = f"CASE WHEN regexp_full_match({v}, '{ICD10_RE}') THEN {v} END"
        return ColumnSQL(n, ok, [_missing(n), _bad(n, ok, "is not an ICD-10 code")])
    if kind == "atc":
        v = f"upper(regexp_replace({x}, '\\s', '', 'g'))"
        ok = f"CASE WHEN regexp_full_match({v}, '{ATC_RE}') THEN {v} END"
        return ColumnSQL(n, ok, [_missing(n), _bad(n, ok, "is not an ATC code")])
    if kind == "pathway":
        return ColumnSQL(n, f"upper({x})", [_missing(n)])
    if kind == "number":
        v = finite(x) if n in native else f"aos_num({x})"
        checks = [_missing(n)] if required else []
        checks.append(_bad(n, v, "is not a number", native))
        if n == "ddd":
            checks.append((f"{v} < 0", f"'{n}: ' || aos_q({_text(n, native)}) || ' is negative'"))
        return ColumnSQL(n, v, checks)
    raise ValueError(f"{t.name}.{n}: no generic normaliser for kind {kind!r}")


def table_sql(t: schema.Table, native: frozenset = frozenset()) -> tuple[list[ColumnSQL], Resolution | None]:
    """Column SQL for every canonical column of `t`, and the extra columns (over the cleaned row
    `c`) that they use: code resolution per distinct (analyte, unit) / (kind, unit) and `_num`.
    `native`: columns that are a native DATE / DOUBLE (`native_columns`), not text."""
    if t.name == "lab_results":
        return _lab_sql(t, native)
    cols = [column_sql(t, c, native) for c in t.columns]
    extra = None
    if t.name == "observations":
        kind = case_map("k.kind", codes()["obs_kind"])
        extra = Resolution(f"{kind} AS r_kind", "kind", kind,
                           finite("c.value") if "value" in native else "aos_num(c.value)")
        for c in cols:
            if c.name == "kind":
                c.value = "c.r_kind"
                c.checks = [_missing("kind"), _bad("kind", "c.r_kind", f"is not one of {'/'.join(code_spellings()['obs_kind'])}")]
            if c.name == "value":
                c.value = "c._conv"
                c.checks = [_missing("value"), _bad("value", "c._num", "is not a number", native),
                            *_impossible(c.value)]
            if c.name == "unit":
                c.value = "c.r_canonical_unit"
                c.checks = [_missing("unit"),
                            ("c.r_kind IS NOT NULL AND NOT c.r_unit_known",
                             "'unit: ' || aos_q(c.unit) || ' is not a known unit for ' || c.r_kind")]
    if t.name == "patients":
        by = {c.name: c for c in cols}
        bd = by["birth_date"].value
        by["birth_year"].value = f"coalesce({by['birth_year'].value}, year({bd}))"
        by["birth_year"].checks += [
            ("c.birth_year IS NULL AND c.birth_date IS NULL", "'birth_year: missing value (and no birth_date)'"),
            (f"{bd} IS NOT NULL AND TRY_CAST(c.birth_year AS INTEGER) <> year({bd})",
             "'birth_year: ' || aos_q(c.birth_year) || ' disagrees with birth_date'")]
        by["listed_to"].checks.append(
            (f"{by['listed_to'].value} < {by['listed_from'].value}",
             f"'listed_to: ' || aos_q({_text('listed_to', native, 'date')}) || ' is before listed_from'"))
    return cols, extra


@dataclass
class Resolution:
    """Codes, units and impossible-value limits resolved once per distinct (code, unit) pair
    (joined to the cleaned row `c` as `r`), and `num`, the SQL of `_num`. `resolved`: the
    resolved columns; `analyte`: SQL of the resolved analyte (or kind); `lookup`: a join the
    resolution needs."""
    resolved: str
    code_col: str
    analyte: str
    num: str
    lookup: str = ""

    def resolve(self, cleaned: str) -> str:
        """SELECT of the resolution, one row per distinct (code, unit) of `cleaned`."""
        return (
            f"SELECT k.{self.code_col} AS k_code, k.unit AS k_unit, {self.resolved}, u.multiply AS r_mul, "
            f"u.divide AS r_div, u.canonical_unit AS r_canonical_unit, u.analyte IS NOT NULL AS r_unit_known, "
            f"lim.lowest AS r_lowest, lim.highest AS r_highest, lim.below AS r_below, lim.above AS r_above "
            f"FROM (SELECT DISTINCT {self.code_col}, unit FROM ({cleaned})) k "
            f"{self.lookup} LEFT JOIN aos_units u ON u.analyte = {self.analyte} AND u.unit_key = aos_unit_key(k.unit) "
            f"LEFT JOIN aos_limits lim ON lim.analyte = u.analyte")

    def on(self) -> str:
        return f"r.k_code IS NOT DISTINCT FROM c.{self.code_col} AND r.k_unit IS NOT DISTINCT FROM c.unit"

    def join(self, cleaned: str) -> str:
        return f"({self.resolve(cleaned)}) r ON {self.on()}"


def _impossible(value: str) -> list[tuple[str, str]]:
    """SPEC §1.1 (v1.1): a converted value outside the shipped limits; the reason names the limit."""
    return [(f"{value} < c.r_lowest", "c.r_below"), (f"{value} > c.r_highest", "c.r_above")]


def _lab_sql(t: schema.Table, native: frozenset = frozenset()) -> tuple[list[ColumnSQL], Resolution]:
    value_native = "value" in native  # a DOUBLE: no comparator, text as pyarrow writes it
    extra = Resolution("a.analyte AS r_analyte, coalesce(a.presence_only, true) AS r_presence_only",
                       "analyte", "a.analyte", finite("c.value") if value_native else "aos_lab_num(c.value)",
                       "LEFT JOIN aos_analytes a ON a.key = upper(k.analyte)")
    conv = "(c.r_analyte IS NOT NULL AND NOT c.r_presence_only)"

    def converted(expr: str) -> str:
        return f"CASE WHEN {conv} THEN round({expr} * c.r_mul / c.r_div, 6) ELSE {expr} END"

    num = f"CASE WHEN {conv} THEN c._conv ELSE c._num END"

    cols = {c.name: column_sql(t, c, native) for c in t.columns
            if c.kind in ("id", "date", "text", "number") and not c.derived}
    cols["analyte"] = ColumnSQL("analyte", "coalesce(c.r_analyte, c.analyte)", [_missing("analyte")])
    cols["value"] = ColumnSQL("value", num, [
        _missing("value"),
        (f"{conv} AND c._num IS NULL", f"'value: ' || aos_q({_text('value', native)}) || ' is not a number'"),
        *_impossible("c._conv")])
    cols["unit"] = ColumnSQL("unit", f"CASE WHEN {conv} THEN c.r_canonical_unit ELSE coalesce(c.unit, '') END", [
        (f"{conv} AND c.unit IS NULL", "'unit: missing value for ' || c.r_analyte"),
        (f"{conv} AND NOT c.r_unit_known",
         "'unit: ' || aos_q(c.unit) || ' is not a known unit for ' || c.r_analyte")])
    for ref in ("ref_low", "ref_high"):
        cols[ref].value = converted(finite(f"c.{ref}") if ref in native else f"aos_num(c.{ref})")
    cols["value_qualifier"] = ColumnSQL("value_qualifier", "CAST(NULL AS VARCHAR)" if value_native else
                                        "CASE WHEN c._num IS NOT NULL AND left(c.value, 1) IN ('<', '>') "
                                        "THEN left(c.value, 1) END")
    cols["value_text"] = ColumnSQL("value_text", _text("value", native))
    cols["unit_reported"] = ColumnSQL("unit_reported", "c.unit")
    return [cols[c.name] for c in t.columns], extra


def parse_sql(t: schema.Table, stg: str, staged: list[str], value_maps: dict, target: str,
              types: dict[str, str] | None = None, wrap=None) -> str:
    """SQL (one or more statements) creating TEMP TABLE `target` with the canonical columns,
    `_row`, `_err_col`, `_reason` (first failing check in column order), `_h` (hash of the
    canonical content, to find duplicates) and, for lab_results, `_unknown_analyte`.

    Three levels, so that every parse runs once per row: the cleaned row (+ resolved codes and
    units, `_num`), the canonical values `__v<i>`, then the checks over those values.
    `wrap(select)`: a SELECT over the parenthesised parse (the late checks, `load.with_late_checks`)."""
    cols, extra = table_sql(t, native_columns(t, types, value_maps))
    cleaned = cleaned_select(t, stg, staged, value_maps, types)
    pre = post = ""
    if extra:
        # The resolution is a small TEMP table first: joined inline, DuckDB estimated it as large as
        # the file and built its hash table from every row (one thread, 13.7 M lab rows: 6 s).
        res = f"{target}_r"
        pre = f"CREATE OR REPLACE TEMP TABLE {res} AS {extra.resolve(cleaned)}; "
        post = f"; DROP TABLE {res}"
        # `_conv`: the number in the canonical unit, computed once for the value and its limits
        base = (f"SELECT c.*, round(c._num * c.r_mul / c.r_div, 6) AS _conv FROM ("
                f"SELECT c.*, r.*, {extra.num} AS _num FROM ({cleaned}) c LEFT JOIN {res} r ON {extra.on()}) c")
    else:
        base = cleaned
    # computed values (not bare column references) are replaced by their alias in the checks
    alias = {c.value: f'c."__v{i}"' for i, c in enumerate(cols) if not re.fullmatch(r"c\.\w+", c.value)}

    def over_values(sql: str) -> str:
        for value in sorted(alias, key=len, reverse=True):
            sql = sql.replace(value, alias[value])
        return sql

    checks = [(c.name, over_values(cond), reason) for c in cols for cond, reason in c.checks]
    # each condition is evaluated once: the first failing check's number, then its column and reason
    first = ("CASE " + " ".join(f"WHEN {cond} THEN {i}" for i, (_, cond, _) in enumerate(checks, 1))
             + " END") if checks else "CAST(NULL AS INTEGER)"
    err_col = ("CASE c._err " + " ".join(f"WHEN {i} THEN {quote(name)}" for i, (name, _, _) in enumerate(checks, 1))
               + " END") if checks else "CAST(NULL AS VARCHAR)"
    err_reason = ("CASE c._err " + " ".join(f"WHEN {i} THEN {r}" for i, (_, _, r) in enumerate(checks, 1))
                  + " END") if checks else "CAST(NULL AS VARCHAR)"
    values = ", ".join(f'{c.value} AS "__v{i}"' for i, c in enumerate(cols))
    out = ", ".join(f'c."__v{i}" AS {ident(c.name)}' for i, c in enumerate(cols))
    unknown = (", c.r_analyte IS NULL AND c.analyte IS NOT NULL AS _unknown_analyte"
               if t.name == "lab_results" else "")
    content_hash = content_hash_sql(t, [f'c."__v{i}"' for i in range(len(cols))])
    with_values = f"SELECT c.*, {values} FROM ({base}) c"
    with_err = f"SELECT c.*, {first} AS _err FROM ({with_values}) c"
    select = (f"SELECT c._row, {out}, {err_col} AS _err_col, {err_reason} AS _reason, "
              f"{content_hash} AS _h{unknown} FROM ({with_err}) c")
    if wrap:
        select = wrap(f"({select})")
    return f"{pre}CREATE OR REPLACE TEMP TABLE {target} AS {select}{post}"


def content_hash_sql(t: schema.Table, values: list[str]) -> str:
    """Hash of a row's canonical content, each value in its stored type, so that the parsed rows
    and the stored table hash alike (`load.py` compares them per day)."""
    return "hash(" + ", ".join(f"CAST({v} AS {c.dtype})" for v, c in zip(values, t.columns)) + ")"


def checked_dates(t: schema.Table) -> list[str]:
    """Date columns that must not be after the extract date."""
    return [c.name for c in t.columns if c.kind == "date" and (t.name, c.name) not in UNCHECKED_DATES]
