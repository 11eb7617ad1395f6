"""Per-unit folders (SPEC v1.1 §6.6): `sensitive/units/<folder>/review_list.csv` and `criteria.csv`
with that unit's listed patients only, and `sensitive/units/index.csv` (folder -> care_unit_id).

A folder name is the unit id percent-encoded (UTF-8 bytes) except `A-Z a-z 0-9 _ - .`, with a
leading `.` or `-` encoded too, so no name has a path separator, `..`, a control character or a
formula start, and different ids give different names. Names longer than 64 characters are cut and
get `~` + a hash of the id; ids whose names differ only in case (a case-insensitive file system)
get `~` + hash too. `~` never occurs otherwise, so the two forms cannot collide.
"""
from __future__ import annotations

import csv
import hashlib
import string
from pathlib import Path

from .. import safetext

UNITS_DIR = "sensitive/units"
INDEX_CSV = "sensitive/units/index.csv"
SAFE_CHARS = frozenset(string.ascii_letters + string.digits + "_-.")
MAX_NAME = 64


def _hash(uid: str | None) -> str:
    return hashlib.sha256(repr(uid).encode("utf-8")).hexdigest()[:10]


def folder_name(uid: str | None) -> str:
    """The folder of one unit id (without the case-collision suffix of `folder_names`)."""
    if uid is None:
        return "%none"
    if uid == "":
        return "%empty"
    name = "".join(chr(b) if chr(b) in SAFE_CHARS else f"%{b:02X}" for b in uid.encode("utf-8"))
    if name[0] in ".-":
        name = f"%{ord(name[0]):02X}" + name[1:]
    if len(name) > MAX_NAME:
        name = name[: MAX_NAME - 11] + "~" + _hash(uid)
    return name


def folder_names(ids) -> dict:
    """Unit id -> folder name, distinct even on a case-insensitive file system."""
    names = {u: folder_name(u) for u in ids}
    folded: dict[str, list] = {}
    for u, n in names.items():
        folded.setdefault(n.casefold(), []).append(u)
    for group in folded.values():
        if len(group) > 1:
            for u in group:
                names[u] = f"{names[u]}~{_hash(u)}"
    return names


REVIEW_COLS = """strftime(r.month, '%Y-%m') AS month, aos_safe_text(r.care_unit_id) AS care_unit_id,
    aos_safe_text(r.patient_id) AS patient_id, r.new_episode, r.n_criteria,
    aos_safe_text(r.criteria) AS criteria, aos_safe_text(r.route) AS route, r.prior_cancer,
    aos_safe_text(r.evidence) AS evidence"""
CRITERIA_COLS = """strftime(c.month, '%Y-%m') AS month, aos_safe_text(c.patient_id) AS patient_id,
    aos_safe_text(c.criterion) AS criterion, c.evidence_date, c.value, c.threshold,
    aos_safe_text(c.unit) AS unit"""
# Months given as YYYY-MM, compared as DATEs: the month column is then read through its
# min/max statistics (only the row groups of those months), not formatted row by row.
MONTH_DATES = "(SELECT CAST(unnest({}) || '-01' AS DATE))"
IN_MONTHS = "IN " + MONTH_DATES.format("$months")
REVIEW = f"""SELECT {REVIEW_COLS} FROM review_list r WHERE r.month {IN_MONTHS}
  ORDER BY r.month, r.care_unit_id, r.patient_id"""
CRITERIA = f"""SELECT {CRITERIA_COLS} FROM criteria_met c WHERE c.month {IN_MONTHS}
  ORDER BY c.month, c.patient_id, c.criterion"""
# Per unit: each list is written once by DuckDB, ordered by the unit's index _k (first column,
# an integer) and then as the whole list; the file is then cut into the units' files at the
# _k changes. Every text cell went through aos_safe_text (no line break inside a cell), so one
# line is one row, and a unit's lines are byte for byte what a COPY of its rows alone writes.
STAGED = {
    "review_list.csv": f"""SELECT k._k, {REVIEW_COLS} FROM review_list r
      JOIN aos_unit_index k ON k.unit IS NOT DISTINCT FROM r.care_unit_id
      WHERE r.month {IN_MONTHS} ORDER BY k._k, r.month, r.care_unit_id, r.patient_id""",
    "criteria.csv": f"""SELECT k._k, {CRITERIA_COLS} FROM criteria_met c
      JOIN eligible_adults e ON e.month = c.month AND e.patient_id = c.patient_id
      JOIN aos_unit_index k ON k.unit IS NOT DISTINCT FROM e.care_unit_id
      WHERE c.month {IN_MONTHS} AND e.month {IN_MONTHS} ORDER BY k._k, c.month, c.patient_id, c.criterion""",
}


def _split(whole: Path, n_rows: int, files: list[Path]) -> None:
    """Cut `whole` (header, then rows starting with `_k,`, in _k order) into files[_k]: the
    header without `_k,`, then that unit's rows without it (a unit without rows: the header)."""
    with whole.open("rb") as src:
        header = src.readline().split(b",", 1)[1]
        out, k, seen, n = None, None, set(), 0
        for line in src:
            key, rest = line.split(b",", 1)
            if key != k:
                if out is not None:
                    out.close()
                k = key
                seen.add(int(k))
                out = files[int(k)].open("wb")
                out.write(header)
            out.write(rest)
            n += 1
        if out is not None:
            out.close()
    if n != n_rows:
        raise RuntimeError(f"{whole.name}: {n} lines for {n_rows} rows (a line break in a cell?)")
    for i, path in enumerate(files):
        if i not in seen:
            path.write_bytes(header)
    whole.unlink()


def write_unit_folders(con, root: Path, months: list[str]) -> int:
    """Write every unit's folder under root/sensitive/units; returns the number of units."""
    units = [r[0] for r in con.execute(
        "SELECT DISTINCT care_unit_id FROM eligible_adults WHERE month IN "
        f"{MONTH_DATES.format('$months')} UNION SELECT DISTINCT care_unit_id FROM review_list "
        f"WHERE month IN {MONTH_DATES.format('$months')} ORDER BY 1 NULLS LAST",
        {"months": months}).fetchall()]
    names = folder_names(units)
    base = root / UNITS_DIR
    base.mkdir(parents=True, exist_ok=True)
    for u in units:
        (base / names[u]).mkdir()
    con.execute("SET preserve_insertion_order = true")  # COPY keeps the ORDER BY
    safetext.install(con)
    con.execute("CREATE OR REPLACE TEMP TABLE aos_unit_index AS "
                "SELECT unnest($u) AS unit, CAST(unnest(range(len($u))) AS INTEGER) AS _k",
                {"u": units})
    for name, query in STAGED.items():
        whole = root / f".units-{name}"
        n = con.execute(f"COPY ({query}) TO $path (FORMAT csv, HEADER, DELIMITER ',', "
                        "DATEFORMAT '%Y-%m-%d')", {"months": months, "path": str(whole)}).fetchall()[0][0]
        _split(whole, n, [base / names[u] / name for u in units])
    con.execute("DROP TABLE aos_unit_index")
    rows = sorted(([names[u], "" if u is None else u] for u in units), key=lambda r: r[0])
    with (base / "index.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["folder", "care_unit_id"])
        w.writerows([safetext.text(c) for c in r] for r in rows)
    return len(units)
