"""Quarantine, de-duplicate and load one parsed file into its canonical table (set-based SQL).

Rules (docs/ingest.md):
- a row with any problem goes to `quarantine` (first problem in column order);
- exact duplicates within a file (same canonical content): the first is kept, the others are
  quarantined with the reason naming the first row;
- event tables: a valid row whose full canonical content is already in the table (from an earlier
  extract) is counted `already_present` and not added;
- keyed tables (patients, care_units): several different rows for one key in a file are all
  quarantined; otherwise rows are upserted by key (a changed row replaces the stored one and
  counts as loaded; an identical one counts as already present).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from .. import schema
from .meta import EVENT_DATES
from .normalise import checked_dates, content_hash_sql
from .reference import ident, quote


@dataclass
class FileResult:
    table: str
    source_file: str
    sha256: str
    format: str = ""
    rows_read: int = 0
    rows_loaded: int = 0
    rows_already_present: int = 0
    rows_quarantined: int = 0
    skipped: bool = False  # identical file already ingested
    unknown_analytes: dict[str, int] = field(default_factory=dict)
    unknown_sex: int = 0  # patients kept with sex unknown (SPEC §1 v1.1)

    @property
    def reconciles(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_already_present + self.rows_quarantined


def late_checks(t: schema.Table, extract_date: dt.date | None, today: dt.date) -> list[tuple[str, str, str]]:
    """(column, condition, reason) needing the extract date or other tables, over `p` / `pt`."""
    limit = extract_date or today
    label = f"the extract date {limit}" if extract_date else f"today ({limit})"
    checks = [(c, f"p.{c} > DATE '{limit}'", f"'{c}: ' || CAST(p.{c} AS VARCHAR) || ' is after {label}'")
              for c in checked_dates(t)]
    if t.name == "patients":
        checks.append(("birth_year", f"p.birth_year > {limit.year}",
                       f"'birth_year: ' || p.birth_year || ' is after the extract year {limit.year}'"))
    if _has_orphan_check(t):
        checks.append(("patient_id", "pt.patient_id IS NULL",
                       "'patient_id: not in patients (absent there, or its row was quarantined)'"))
    return checks


def _has_orphan_check(t: schema.Table) -> bool:
    return t.name != "patients" and any(c.name == "patient_id" for c in t.columns)


def finalise(con, t: schema.Table, p: str, res: FileResult, extract_id: str,
             extract_date: dt.date | None, today: dt.date, checked: bool = False) -> None:
    """Quarantine, de-duplicate and load the parsed table `p` (dropped afterwards). `p` is read
    a few times but never changed: the rows not to load (quarantined) are collected in the small
    TEMP table `aos_out` (`_row`) and the load is `p` anti-joined with it. `checked`: the parse
    already applied the late checks (`with_late_checks`)."""
    cols = [c.name for c in t.columns]
    head = f"{quote(t.name)}, {quote(res.source_file)}"
    out = "aos_out"
    problems = (f"SELECT _row, _err_col, _reason FROM {p} WHERE _reason IS NOT NULL" if checked
                else _problems_sql(t, p, extract_date, today))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {out} AS {problems}")
    con.execute(f"INSERT INTO quarantine SELECT {head}, _row, _err_col, _reason, {quote(extract_id)} FROM {out}")
    _quarantine_duplicates(con, p, out, cols, head, extract_id)
    keep = f"(SELECT * FROM {p} ANTI JOIN {out} USING (_row))"
    if t.key:
        _quarantine_key_conflicts(con, keep, out, t, head, extract_id)
    if t.name == "lab_results":
        res.unknown_analytes = dict(con.execute(
            f"SELECT analyte, count(*) FROM {keep} WHERE _unknown_analyte GROUP BY 1 ORDER BY 2 DESC, 1"
        ).fetchall())
    if t.name == "patients":
        res.unknown_sex = con.execute(f"SELECT count(*) FROM {keep} WHERE sex IS NULL").fetchone()[0]
    n_valid = con.execute(f"SELECT (SELECT count(*) FROM {p}) - (SELECT count(*) FROM {out})").fetchone()[0]
    res.rows_loaded = _insert(con, keep, t, cols)
    res.rows_already_present = n_valid - res.rows_loaded
    res.rows_quarantined = con.execute(
        "SELECT count(*) FROM quarantine WHERE extract_id = ? AND table_name = ? AND source_file = ?",
        [extract_id, t.name, res.source_file]).fetchone()[0]
    con.execute(f"DROP TABLE {p}")
    con.execute(f"DROP TABLE {out}")
    if not res.reconciles:
        raise AssertionError(f"{res.source_file}: counts do not reconcile: {res}")


def _problems_sql(t: schema.Table, p: str, extract_date: dt.date | None, today: dt.date) -> str:
    """Rows of `p` with a problem (`_row, _err_col, _reason`): the parse's, else the first late
    check's (one pass; the orphan check joins `patients`)."""
    checked = with_late_checks(t, p, extract_date, today)
    return f"SELECT _row, _err_col, _reason FROM ({checked}) WHERE _reason IS NOT NULL"


def with_late_checks(t: schema.Table, p: str, extract_date: dt.date | None, today: dt.date) -> str:
    """SELECT of the parsed rows `p` (a table or a parenthesised query) with `_err_col` and
    `_reason` also holding the first late check that fails (the parse's own problem first)."""
    checks = late_checks(t, extract_date, today)
    if not checks:
        return f"SELECT * FROM {p}"
    join = "LEFT JOIN patients pt ON pt.patient_id = p.patient_id" if _has_orphan_check(t) else ""
    col_case = "CASE " + " ".join(f"WHEN {cond} THEN {quote(c)}" for c, cond, _ in checks) + " END"
    reason_case = "CASE " + " ".join(f"WHEN {cond} THEN {r}" for _, cond, r in checks) + " END"
    return (f"SELECT p.* REPLACE (CASE WHEN p._reason IS NOT NULL THEN p._err_col ELSE {col_case} END AS _err_col, "
            f"coalesce(p._reason, {reason_case}) AS _reason) FROM {p} p {join}")


def _quarantine_duplicates(con, p: str, out: str, cols: list[str], head: str, extract_id: str) -> None:
    """Exact duplicates among the rows without a problem; the first is kept. Rows with identical
    content share their late-check outcome, so the groups are found among the rows that parsed
    and then the ones already quarantined (a late check) are left out."""
    key = ", ".join(ident(c) for c in cols)
    ok = f"(SELECT * FROM {p} WHERE _reason IS NULL)"
    dup_h = repeated_hashes(con.execute(f"SELECT _h FROM {ok}").fetchnumpy()["_h"])
    if not len(dup_h):  # the usual case
        return
    con.register("aos_dup_h_arrow", pa.table({"_h": dup_h}))
    con.execute("CREATE OR REPLACE TEMP TABLE aos_dup_h AS SELECT _h FROM aos_dup_h_arrow")
    con.unregister("aos_dup_h_arrow")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE aos_dups AS SELECT _row, _first FROM ("
        f" SELECT _row, min(_row) OVER (PARTITION BY {key}) AS _first FROM {ok} SEMI JOIN aos_dup_h USING (_h))"
        f" ANTI JOIN {out} USING (_row) WHERE _row <> _first")
    con.execute("DROP TABLE aos_dup_h")
    con.execute(f"INSERT INTO quarantine SELECT {head}, _row, NULL, "
                f"'exact duplicate of row ' || _first, {quote(extract_id)} FROM aos_dups")
    con.execute(f"INSERT INTO {out} SELECT _row, NULL, NULL FROM aos_dups")
    con.execute("DROP TABLE aos_dups")


def repeated_hashes(h: np.ndarray) -> np.ndarray:
    """The values that occur more than once in `h`. A sort of the hash column: 0.2 s for 13.7 M
    rows, where DuckDB's GROUP BY of as many distinct values took 2.5 CPU seconds."""
    h = np.asarray(h)
    if h.flags.writeable:  # in place: no second copy of a large file's hashes
        h.sort()
    else:
        h = np.sort(h)
    return np.unique(h[1:][h[1:] == h[:-1]])


def _quarantine_key_conflicts(con, keep: str, out: str, t: schema.Table, head: str, extract_id: str) -> None:
    key = ", ".join(ident(c) for c in t.key)
    if not len(repeated_hashes(con.execute(f"SELECT hash({key}) AS h FROM {keep}").fetchnumpy()["h"])):
        return  # every key once (the usual case): no grouping of the whole file
    what = {"patients": "one patient"}.get(t.name, f"one {'/'.join(t.key)}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE aos_conf AS SELECT {key}, count(*) AS n, "
        f"string_agg(CAST(_row AS VARCHAR), ', ' ORDER BY _row) AS rows_ FROM {keep} "
        f"GROUP BY {key} HAVING count(*) > 1")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE aos_conf_rows AS SELECT v._row, {quote(t.key[0] + ': ')} || c.n || "
        f"' different rows for {what} in the file (rows ' || c.rows_ || ')' AS reason "
        f"FROM {keep} v JOIN aos_conf c USING ({key})")
    con.execute(f"INSERT INTO quarantine SELECT {head}, _row, {quote(t.key[0])}, reason, {quote(extract_id)} "
                "FROM aos_conf_rows")
    con.execute(f"INSERT INTO {out} SELECT _row, NULL, NULL FROM aos_conf_rows")
    con.execute("DROP TABLE aos_conf")
    con.execute("DROP TABLE aos_conf_rows")


def _insert(con, keep: str, t: schema.Table, cols: list[str]) -> int:
    names = ", ".join(ident(c) for c in cols)
    empty = con.execute(f"SELECT count(*) = 0 FROM (SELECT 1 FROM {t.name} LIMIT 1)").fetchone()[0]
    day = EVENT_DATES.get(t.name)
    if not t.key and not empty and day:
        return _insert_new_days(con, keep, t, names, day)
    new = f"SELECT {names} FROM {keep}" + ("" if empty else f" EXCEPT SELECT {names} FROM {t.name}")
    if not t.key or empty:  # keys are unique in `keep` (conflicts are quarantined)
        return con.execute(f"INSERT INTO {t.name} ({names}) {new}").fetchone()[0]
    con.execute(f"CREATE OR REPLACE TEMP TABLE aos_new AS {new}")
    updates = ", ".join(f"{ident(c)} = EXCLUDED.{ident(c)}" for c in cols if c not in t.key)
    conflict = f"ON CONFLICT ({', '.join(t.key)}) DO UPDATE SET {updates}" if updates else "ON CONFLICT DO NOTHING"
    n = con.execute(f"INSERT INTO {t.name} ({names}) SELECT {names} FROM aos_new {conflict}").fetchone()[0]
    con.execute("DROP TABLE aos_new")
    return n


def _insert_new_days(con, keep: str, t: schema.Table, names: str, day: str) -> int:
    """Append-only insert into a non-empty event table: the rows of `keep` not already stored.
    Both sides are sets (duplicates are quarantined, stored rows are unique), so a day whose rows
    have the same count and the same sum of content hashes in the file and in the table holds
    the same rows (short of a 64-bit hash coincidence) and is skipped; the rows of every other
    day (new, late-arriving or corrected data) are compared in full (EXCEPT)."""
    stored_h = content_hash_sql(t, [ident(c.name) for c in t.columns])
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE aos_days AS SELECT d FROM "
        f"(SELECT {ident(day)} AS d, count(*) AS n, sum(_h) AS s FROM {keep} GROUP BY 1) f "
        f"LEFT JOIN (SELECT {ident(day)} AS d, count(*) AS n, sum({stored_h}) AS s FROM {t.name} GROUP BY 1) "
        f"t USING (d) WHERE f.n IS DISTINCT FROM t.n OR f.s IS DISTINCT FROM t.s")
    n = con.execute(
        f"INSERT INTO {t.name} ({names}) SELECT {names} FROM {keep} SEMI JOIN aos_days ON {ident(day)} = d "
        f"EXCEPT SELECT {names} FROM {t.name} SEMI JOIN aos_days ON {ident(day)} = d").fetchone()[0]
    con.execute("DROP TABLE aos_days")
    return n
