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

from .. import schema
from .normalise import checked_dates
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
             extract_date: dt.date | None, today: dt.date) -> None:
    """Quarantine, de-duplicate and load the parsed table `p` (dropped afterwards)."""
    cols = [c.name for c in t.columns]
    checks = late_checks(t, extract_date, today)
    join = "LEFT JOIN patients pt ON pt.patient_id = p.patient_id" if _has_orphan_check(t) else ""
    col_case = "CASE " + " ".join(f"WHEN {cond} THEN {quote(c)}" for c, cond, _ in checks) + " END"
    reason_case = "CASE " + " ".join(f"WHEN {cond} THEN {r}" for _, cond, r in checks) + " END"
    if checks:
        con.execute(f"UPDATE {p} SET _err_col = x.col, _reason = x.reason FROM ("
                    f"SELECT p._row, {col_case} AS col, {reason_case} AS reason FROM {p} p {join} "
                    f"WHERE p._reason IS NULL) x WHERE {p}._row = x._row AND x.reason IS NOT NULL")
    head = f"{quote(t.name)}, {quote(res.source_file)}"
    con.execute(f"INSERT INTO quarantine SELECT {head}, _row, _err_col, _reason, {quote(extract_id)} "
                f"FROM {p} WHERE _reason IS NOT NULL")
    con.execute(f"DELETE FROM {p} WHERE _reason IS NOT NULL")
    _quarantine_duplicates(con, p, cols, head, extract_id)
    if t.key:
        _quarantine_key_conflicts(con, p, t, head, extract_id)
    if t.name == "lab_results":
        res.unknown_analytes = dict(con.execute(
            f"SELECT analyte, count(*) FROM {p} WHERE _unknown_analyte GROUP BY 1 ORDER BY 2 DESC, 1"
        ).fetchall())
    if t.name == "patients":
        res.unknown_sex = con.execute(f"SELECT count(*) FROM {p} WHERE sex IS NULL").fetchone()[0]
    n_valid = con.execute(f"SELECT count(*) FROM {p}").fetchone()[0]
    res.rows_loaded = _insert(con, p, t, cols)
    res.rows_already_present = n_valid - res.rows_loaded
    res.rows_quarantined = con.execute(
        "SELECT count(*) FROM quarantine WHERE extract_id = ? AND table_name = ? AND source_file = ?",
        [extract_id, t.name, res.source_file]).fetchone()[0]
    con.execute(f"DROP TABLE {p}")
    if not res.reconciles:
        raise AssertionError(f"{res.source_file}: counts do not reconcile: {res}")


def _quarantine_duplicates(con, p: str, cols: list[str], head: str, extract_id: str) -> None:
    key = ", ".join(ident(c) for c in cols)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE aos_dups AS SELECT _row, _first FROM ("
        f" SELECT _row, min(_row) OVER (PARTITION BY {key}) AS _first FROM {p}"
        f" WHERE _h IN (SELECT _h FROM {p} GROUP BY _h HAVING count(*) > 1))"
        f" WHERE _row <> _first")
    con.execute(f"INSERT INTO quarantine SELECT {head}, _row, NULL, "
                f"'exact duplicate of row ' || _first, {quote(extract_id)} FROM aos_dups")
    con.execute(f"DELETE FROM {p} WHERE _row IN (SELECT _row FROM aos_dups)")
    con.execute("DROP TABLE aos_dups")


def _quarantine_key_conflicts(con, p: str, t: schema.Table, head: str, extract_id: str) -> None:
    key = ", ".join(ident(c) for c in t.key)
    what = {"patients": "one patient"}.get(t.name, f"one {'/'.join(t.key)}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE aos_conf AS SELECT {key}, count(*) AS n, "
        f"string_agg(CAST(_row AS VARCHAR), ', ' ORDER BY _row) AS rows_ FROM {p} "
        f"GROUP BY {key} HAVING count(*) > 1")
    con.execute(
        f"INSERT INTO quarantine SELECT {head}, v._row, {quote(t.key[0])}, "
        f"{quote(t.key[0] + ': ')} || c.n || ' different rows for {what} in the file (rows ' || "
        f"c.rows_ || ')', {quote(extract_id)} FROM {p} v JOIN aos_conf c USING ({key})")
    con.execute(f"DELETE FROM {p} WHERE ({key}) IN (SELECT ({key}) FROM aos_conf)")
    con.execute("DROP TABLE aos_conf")


def _insert(con, p: str, t: schema.Table, cols: list[str]) -> int:
    names = ", ".join(ident(c) for c in cols)
    empty = con.execute(f"SELECT count(*) = 0 FROM (SELECT 1 FROM {t.name} LIMIT 1)").fetchone()[0]
    new = f"SELECT {names} FROM {p}" + ("" if empty else f" EXCEPT SELECT {names} FROM {t.name}")
    if not t.key:
        return con.execute(f"INSERT INTO {t.name} ({names}) {new}").fetchone()[0]
    con.execute(f"CREATE OR REPLACE TEMP TABLE aos_new AS {new}")
    updates = ", ".join(f"{ident(c)} = EXCLUDED.{ident(c)}" for c in cols if c not in t.key)
    conflict = f"ON CONFLICT ({', '.join(t.key)}) DO UPDATE SET {updates}" if updates else "ON CONFLICT DO NOTHING"
    n = con.execute(f"INSERT INTO {t.name} ({names}) SELECT {names} FROM aos_new {conflict}").fetchone()[0]
    con.execute("DROP TABLE aos_new")
    return n
