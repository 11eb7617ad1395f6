"""Readable patient timelines -> a tiny canonical DuckDB database (ehrQL spec-test style).

    db = make_db({
        "patients": '''
            patient_id | birth_year | sex
            p1         | 1960       | F
        ''',
        "lab_results": '''
            patient_id | sample_date | analyte | value
            p1         | 2025-05-12  | alp     | 2.0
        ''',
    })

Patient id first; an empty cell is NULL. Columns left out get defaults (care unit VC1,
canonical units). Every given table gets an `ingest_files` row, so it counts as ingested.
"""
from __future__ import annotations

import duckdb

from pipeline import schema
from pipeline.cohort import engine
from pipeline.cohort.rules import load_rules

UNITS = {"hb": "g/L", "alp": "µkat/L", "calcium": "mmol/L", "calcium_ionized": "mmol/L",
         "albumin": "g/L", "esr": "mm/h", "platelets": "10^9/L", "ferritin": "µg/L",
         "crp": "mg/L", "weight": "kg"}
DEFAULTS = {"patients": {"care_unit_id": "VC1"}, "referrals": {"pathway": "AOS"}}


def parse(text: str) -> tuple[list[str], list[list[str | None]]]:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    header = [c.strip() for c in lines[0].split("|")]
    rows = []
    for ln in lines[1:]:
        cells = [c.strip() for c in ln.split("|")]
        assert len(cells) == len(header), f"row {ln!r} has {len(cells)} cells, header {len(header)}"
        rows.append([c if c != "" else None for c in cells])
    return header, rows


def insert(con, table: str, text: str, own_units: bool = False) -> None:
    header, rows = parse(text)
    cols = list(header)
    extra = {k: v for k, v in DEFAULTS.get(table, {}).items() if k not in cols}
    own_units = own_units and "care_unit_id" in extra
    if table in ("lab_results", "observations") and "unit" not in cols:
        key = "analyte" if table == "lab_results" else "kind"
        extra["unit"] = None
    names = cols + list(extra)
    for row in rows:
        values = dict(zip(cols, row), **extra)
        if own_units:
            values["care_unit_id"] = "U-" + values["patient_id"]
        if "unit" in extra:
            values["unit"] = UNITS.get(values["analyte" if table == "lab_results" else "kind"], "x")
        marks = ", ".join("?" for _ in names)
        con.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})",
                    [values[n] for n in names])
    con.execute("INSERT INTO ingest_files VALUES ('test', ?, ?, 'x', ?, ?, 0, 0, now())",
                [table, f"{table}.csv", len(rows), len(rows)])


def make_db(table_data: dict[str, str], path: str = ":memory:", own_units: bool = False):
    """own_units: a patient without a given care unit gets one of its own (U-<patient_id>), so
    that the per-unit `attrition` tells each patient's exclusion step."""
    con = duckdb.connect(path)
    schema.create_all(con)
    for table, text in table_data.items():
        insert(con, table, text, own_units)
    for table in schema.REQUIRED_TABLES:  # required tables count as ingested, even if empty
        if table not in table_data:
            con.execute("INSERT INTO ingest_files VALUES ('test', ?, ?, 'x', 0, 0, 0, 0, now())",
                        [table, f"{table}.csv"])
    return con


def run(con, month: str, to: str | None = None, rules=None, **kw) -> dict:
    return engine.compute(con, month, to, rules or load_rules(), **kw)


def criteria_by_patient(con, month: str) -> dict[str, set[str]]:
    """Met criteria of the patients who passed the exclusions in `month` (YYYY-MM)."""
    rows = con.execute(
        "SELECT patient_id, criterion FROM criteria_met WHERE strftime(month, '%Y-%m') = ?",
        [month]).fetchall()
    out: dict[str, set[str]] = {}
    for pid, crit in rows:
        out.setdefault(pid, set()).add(crit)
    return out


def exclusions(con, month: str) -> dict[str, int]:
    """patient -> first exclusion step (0 = passed) for `month`, from the public `attrition`
    of the patient's own care unit (make_db own_units); step 6 (too few criteria) is no
    exclusion. Checked against `eligible_adults` (steps 4, 5 and passed) and `criteria_met`."""
    rows = con.execute(
        "SELECT p.patient_id, coalesce(max(a.step_no) FILTER (WHERE a.n_excluded > 0 "
        "AND a.step_no < 6), 0), count_if(a.n_excluded > 0 AND a.step_no < 6), "
        "count(DISTINCT p.care_unit_id) "
        "FROM patients p JOIN attrition a ON a.care_unit_id = p.care_unit_id "
        "WHERE strftime(a.month, '%Y-%m') = ? GROUP BY p.patient_id", [month]).fetchall()
    assert all(n <= 1 and units == 1 for _, _, n, units in rows), "one patient per care unit"
    steps = {pid: step for pid, step, _, _ in rows}
    eligible = {r[0] for r in con.execute(
        "SELECT patient_id FROM eligible_adults WHERE strftime(month, '%Y-%m') = ?", [month]).fetchall()}
    assert {p for p, s in steps.items() if s in (0, 4, 5)} == eligible
    assert set(criteria_by_patient(con, month)) <= {p for p, s in steps.items() if s == 0}
    return steps


def review(con, month: str) -> dict[str, tuple]:
    rows = con.execute(
        "SELECT patient_id, new_episode, n_criteria, criteria, route, prior_cancer, evidence "
        "FROM review_list WHERE strftime(month, '%Y-%m') = ?", [month]).fetchall()
    return {r[0]: r[1:] for r in rows}


class Case:
    """One spec test: a title, a few rows per table, the month, the expected outcome.

    expected: patient -> criteria met (patients who passed the exclusions);
    excluded: patient -> first exclusion step (0 = passed);
    review:   patient -> dict of review_list fields to check (route, new_episode, ...).
    Without a `patients` table every patient in the data is a woman born 1960 at VC1.
    """

    def __init__(self, title, table_data, month="2025-06", expected=None, excluded=None,
                 review=None):
        self.title, self.table_data, self.month = title, table_data, month
        self.expected, self.excluded, self.review = expected or {}, excluded or {}, review or {}

    def __repr__(self):
        return self.title


def patient_ids(table_data: dict[str, str]) -> list[str]:
    ids = []
    for text in table_data.values():
        for row in parse(text)[1]:
            if row[0] not in ids:
                ids.append(row[0])
    return ids


def build(case: Case, path: str = ":memory:", own_units: bool = True):
    data = dict(case.table_data)
    if "patients" not in data:
        rows = "\n".join(f"{p} | 1960 | F" for p in patient_ids(data))
        data = {"patients": "patient_id | birth_year | sex\n" + rows, **data}
    return make_db(data, path, own_units)


def check(case: Case, rules=None) -> dict:
    con = build(case)
    info = run(con, case.month, rules=rules)
    met = criteria_by_patient(con, case.month)
    for pid, want in case.expected.items():
        assert met.get(pid, set()) == set(want), f"{case.title}: {pid}"
    excl = exclusions(con, case.month)
    for pid, step in case.excluded.items():
        assert excl[pid] == step, f"{case.title}: {pid} excluded at {excl[pid]}, want {step}"
    rev = review(con, case.month)
    names = ("new_episode", "n_criteria", "criteria", "route", "prior_cancer", "evidence")
    for pid, fields in case.review.items():
        if fields is None:
            assert pid not in rev, f"{case.title}: {pid} should not be on the review list"
            continue
        assert pid in rev, f"{case.title}: {pid} not on the review list"
        got = dict(zip(names, rev[pid]))
        for k, v in fields.items():
            assert got[k] == v, f"{case.title}: {pid}.{k} = {got[k]!r}, want {v!r}"
    con.close()
    return info
