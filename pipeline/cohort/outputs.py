"""Write the cohort CSVs and run_manifest.json (SPEC §6), atomically.

Files are written into a temporary directory next to OUT and moved into place only when
all of them were written. CSVs are deterministic: UTF-8, `,`, months YYYY-MM, ISO dates,
booleans true/false, a fixed row order.
"""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

from .. import safetext
from ..disclosure import THRESHOLD, suppress
from .units import CRITERIA, INDEX_CSV, MONTH_DATES, REVIEW, UNITS_DIR, write_unit_folders

REVIEW_CSV = "sensitive/review_list.csv"
CRITERIA_CSV = "sensitive/criteria.csv"
ATTRITION_CSV = "releasable/attrition.csv"
MANIFEST = "run_manifest.json"


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return safetext.text(str(v))


def _write_rows(path: Path, header: list[str], rows) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    n = 0
    for r in rows:
        w.writerow([_cell(v) for v in r])
        n += 1
    path.write_text(buf.getvalue(), encoding="utf-8")
    return n


def _copy_csv(con, query: str, months: list[str], path: Path) -> int:
    """Let DuckDB write a (large) patient-level CSV in the query's order (text columns through
    `aos_safe_text`, pipeline.safetext)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute("SET preserve_insertion_order = true")  # COPY keeps the ORDER BY
    safetext.install(con)
    # COPY returns the number of rows it wrote: the query runs once
    return con.execute(f"COPY ({query}) TO $path (FORMAT csv, HEADER, DELIMITER ',', "
                       "DATEFORMAT '%Y-%m-%d')", {"months": months, "path": str(path)}).fetchall()[0][0]


def attrition_rows(con, months: list[str], not_evaluable: list[str]) -> list[list]:
    """Attrition with small-number suppression: counts 1-4 and the cells that would
    reveal them (n_before = n_excluded + n_after; n_after of a step = n_before of the next;
    the region's count = the sum over care units) are emptied and flagged."""
    rows = con.execute(
        "SELECT strftime(month, '%Y-%m'), care_unit_id, step_no, step, n_before, n_excluded, "
        f"n_after FROM attrition WHERE month IN {MONTH_DATES.format('?')} "
        "ORDER BY month, care_unit_id = 'ALL' DESC, care_unit_id, step_no", [months]).fetchall()
    cells, groups = {}, []
    units: dict[tuple, list[str]] = {}
    for m, unit, step_no, _step, nb, ne, na in rows:
        k = (m, unit, step_no)
        cells[k + ("b",)], cells[k + ("e",)], cells[k + ("a",)] = nb, ne, na
        groups.append((k + ("b",), [k + ("e",), k + ("a",)]))
        if step_no > 1:
            groups.append(((m, unit, step_no - 1, "a"), [k + ("b",)]))
        if unit != "ALL":
            units.setdefault((m, step_no), []).append(unit)
    for (m, step_no), us in units.items():
        for col in ("b", "e", "a"):
            groups.append(((m, "ALL", step_no, col), [(m, u, step_no, col) for u in us]))
    hidden = suppress(cells, groups, THRESHOLD)
    ne_text = ";".join(not_evaluable)
    out = []
    for m, unit, step_no, step, nb, ne, na in rows:
        k = (m, unit, step_no)
        vals = [None if k + (c,) in hidden else v for c, v in zip("bea", (nb, ne, na))]
        out.append([m, unit, step_no, step, *vals,
                    any(k + (c,) in hidden for c in "bea"), ne_text])
    return out


def write_outputs(con, out_dir: str | Path, months: list[str], manifest: dict) -> dict:
    """Write the CSVs for `months` (YYYY-MM) and the manifest into out_dir; returns row counts."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".aos-run-", dir=out_dir))
    counts = {}
    try:
        counts[REVIEW_CSV] = _copy_csv(con, REVIEW, months, tmp / REVIEW_CSV)
        counts[CRITERIA_CSV] = _copy_csv(con, CRITERIA, months, tmp / CRITERIA_CSV)
        counts[INDEX_CSV] = write_unit_folders(con, tmp, months)
        counts[ATTRITION_CSV] = _write_rows(
            tmp / ATTRITION_CSV,
            ["month", "care_unit_id", "step_no", "step", "n_before", "n_excluded", "n_after",
             "suppressed", "not_evaluable"],
            attrition_rows(con, months, manifest.get("not_evaluable", [])))
        manifest = dict(manifest, output_rows=counts)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str)
                                    + "\n", encoding="utf-8")
        old_units = out_dir / UNITS_DIR
        if old_units.exists():  # no stale unit folder survives a new run
            os.replace(old_units, tmp / ".units-old")
        for rel in (REVIEW_CSV, CRITERIA_CSV, ATTRITION_CSV, UNITS_DIR, MANIFEST):
            (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / rel, out_dir / rel)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return counts
