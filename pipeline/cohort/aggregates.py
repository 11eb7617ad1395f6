"""Stored patient-month aggregates, brought up to date incrementally (docs/architecture.md
"Stored aggregates").

Each aggregate `agg_<name>` is a persistent table keyed by month (`mi`), built by
`sql/cohort/aggregates/<name>.sql` from one event table. Ingest only appends event rows
(`pipeline/ingest/load.py`), so a month whose row count differs from the stored count
(`agg_counts`) has new rows: only the aggregate months that read it are rebuilt. A change of
what the aggregates depend on (their SQL, the rules values in it) rebuilds all of them.
Everything runs on the caller's connection, inside its transaction.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import time

from .. import months, schema, sqlfiles
from .rules import Rules

# name -> (event table, its date column); in build order (pm_rx reads agg_rx_item_months).
AGGREGATES = {
    "pm_contacts": ("contacts", "contact_date"),
    "rx_item_months": ("prescriptions", "prescribed_date"),
    "pm_rx": ("prescriptions", "prescribed_date"),
    "pm_lab": ("lab_results", "sample_date"),
    "pm_calcium": ("lab_results", "sample_date"),
    "code_months": ("diagnoses", "diagnosis_date"),
    "pm_weight": ("observations", "obs_date"),
    "cancer_months": ("cancer_diagnoses", "diagnosis_date"),
    "referral_months": ("referrals", "event_date"),
}
FORMAT = "1"  # bump when the meaning of a stored table changes without a change of its SQL
ANY_DAY = dt.date(2000, 1, 1)  # the dates of a statement only made for its columns or hash


def reach(rules: Rules) -> dict[str, tuple[int, int]]:
    """Aggregate -> (months before, months after) a changed month of its table whose
    aggregate months read it: calcium reads albumin +-N days around a sample, weight the
    N days before a weighing."""
    ca = rules.criteria["calcium_high"]["albumin_max_days"] // 28 + 1
    wt = rules.criteria["weight_loss"]["lookback_days"] // 28 + 1
    return {name: {"pm_calcium": (ca, ca), "pm_weight": (0, wt)}.get(name, (0, 0))
            for name in AGGREGATES}


def dependency_key(rules: Rules, params: dict) -> str:
    """Hash of everything the stored aggregates depend on: their SQL rendered with the rules
    values, the macros, the code groups and the cancer definition."""
    p = dict(params, lo_date=ANY_DAY, hi_date=ANY_DAY)
    parts = [FORMAT, sqlfiles.load("cohort/00_macros.sql"), sqlfiles.load("cohort/cancer.sql"),
             json.dumps(rules.data["cancer"], sort_keys=True, default=str),
             json.dumps([(cid, rules.codes(cid)) for cid in rules.criteria])]
    parts += [sqlfiles.render(sqlfiles.load(f"cohort/aggregates/{n}.sql"), p) for n in AGGREGATES]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def source_views(con, present: set[str]) -> None:
    """src_<table>: the canonical table, or an empty one of the same columns when absent.

    Inside the computation `patient_id` is the small stable integer of agg_patient_keys
    (c_ids): joins and groupings on integers are much faster than on text. Rows of unknown
    patients drop out. raw_<table>: the same with the text patient_id.
    """
    n_keys, n_patients = con.execute(
        "SELECT (SELECT count(*) FROM agg_patient_keys), (SELECT count(*) FROM main.patients)"
    ).fetchone()
    if n_keys != n_patients:  # patients are never removed: equal counts, same patients
        sqlfiles.run_file(con, "cohort/aggregates/keys.sql")
    con.execute("CREATE OR REPLACE TEMP VIEW c_ids AS SELECT patient_id, pid FROM main.agg_patient_keys")
    for t in schema.EXTRACT_TABLES:
        has_pid = any(c.name == "patient_id" for c in t.columns)
        # raw_<table>: with the text patient_id, for aggregates that group before they join c_ids
        raw = f"SELECT * FROM main.{t.name}" if t.name in present else " ".join(
            ["SELECT", ", ".join(f"CAST(NULL AS {c.dtype}) AS {c.name}" for c in t.columns),
             "WHERE false"])
        con.execute(f"CREATE OR REPLACE TEMP VIEW raw_{t.name} AS {raw}")
        if t.name in present and has_pid:
            body = (f"SELECT i.pid AS patient_id, t.* EXCLUDE (patient_id) FROM main.{t.name} t "
                    "JOIN c_ids i ON i.patient_id = t.patient_id")
        elif t.name in present:
            body = f"SELECT * FROM main.{t.name}"
        else:
            cols = ", ".join(f"CAST(NULL AS {'INTEGER' if c.name == 'patient_id' else c.dtype}) "
                             f"AS {c.name}" for c in t.columns)
            body = f"SELECT {cols} WHERE false"
        con.execute(f"CREATE OR REPLACE TEMP VIEW src_{t.name} AS {body}")


def _changed_months(con, table: str, column: str, present: set[str]) -> tuple[set[int], set[int]]:
    """(months of `table` whose row count differs from the stored one, months with rows);
    stores the new counts. Nothing changed: two empty sets."""
    stored_total = con.execute("SELECT coalesce(sum(n), 0) FROM agg_counts WHERE table_name = ?",
                               [table]).fetchone()[0]
    total = (con.execute(f"SELECT count(*) FROM main.{table}").fetchone()[0]
             if table in present else 0)
    if total == stored_total:
        return set(), set()
    # grouped on the date itself first: much cheaper than a month expression on every row
    now = dict(con.execute(f"SELECT year(d) * 12 + month(d) - 1 AS mi, sum(n) FROM "
                           f"(SELECT {column} AS d, count(*) AS n FROM main.{table} GROUP BY ALL) "
                           "GROUP BY ALL").fetchall()) if table in present else {}
    before = dict(con.execute("SELECT mi, n FROM agg_counts WHERE table_name = ?",
                              [table]).fetchall())
    con.execute("DELETE FROM agg_counts WHERE table_name = ?", [table])
    con.execute("INSERT INTO agg_counts SELECT ?, unnest(?), unnest(?)",
                [table, list(now), list(now.values())])
    with_rows = {mi for mi in now.keys() | before.keys() if mi is not None}
    return {mi for mi in with_rows if now.get(mi) != before.get(mi)}, with_rows


def refresh(con, rules: Rules, params: dict, present: set[str], full: bool = False,
            timings: dict | None = None, say=None) -> dict[str, int]:
    """Bring every stored aggregate up to date (all of it when `full`, when the dependency key
    changed, or on a database without them); make the src_* views. Returns the number of
    months rebuilt per aggregate."""
    say = say or (lambda _msg: None)
    t0 = time.perf_counter()
    sqlfiles.run_file(con, "cohort/aggregates/tables.sql")
    source_views(con, present)
    key = dependency_key(rules, params)
    stored = con.execute("SELECT value FROM agg_state WHERE name = 'dependency_key'").fetchall()
    if full or stored != [(key,)]:
        say("  stored aggregates: full rebuild" + ("" if full or not stored
                                                  else " (rules or code changed)"))
        for name in AGGREGATES:
            con.execute(f"DROP TABLE IF EXISTS main.agg_{name}")
        con.execute("DELETE FROM agg_counts")
        con.execute("DELETE FROM agg_state WHERE name = 'dependency_key'")
        con.execute("INSERT INTO agg_state VALUES ('dependency_key', ?)", [key])
    changed = {t: _changed_months(con, t, col, present)
               for t, col in dict(AGGREGATES.values()).items()}
    around = reach(rules)
    # An aggregate month holds rows only if its table has rows dated in it (a sample, a
    # weighing): months around a change without any are not rebuilt (they stay empty).
    rebuild = {name: sorted({c + d for c in changed[t][0]
                             for d in range(-around[name][0], around[name][1] + 1)}
                            & changed[t][1])
               for name, (t, _) in AGGREGATES.items()}
    pairs = [(name, mi) for name, mis in rebuild.items() for mi in mis]
    con.execute("CREATE OR REPLACE TEMP TABLE c_rebuild AS SELECT CAST(unnest(?) AS VARCHAR) AS agg, "
                "CAST(unnest(?) AS INTEGER) AS mi", [[a for a, _ in pairs], [m for _, m in pairs]])
    for name, mis in rebuild.items():
        rel = f"cohort/aggregates/{name}.sql"
        text = sqlfiles.load(rel)
        sqlfiles.run(con, f"CREATE TABLE IF NOT EXISTS main.agg_{name} AS {text} LIMIT 0",
                     dict(params, lo_date=ANY_DAY, hi_date=ANY_DAY), rel)
        if not mis:
            continue
        con.execute(f"DELETE FROM main.agg_{name} WHERE mi IN "
                    "(SELECT mi FROM c_rebuild WHERE agg = ?)", [name])
        lo, hi = mis[0], mis[-1]
        sqlfiles.run(con, f"INSERT INTO main.agg_{name} {text}",
                     dict(params, lo_date=months.from_index(lo),
                          hi_date=months.last_day(months.from_index(hi))), rel)
    if timings is not None:
        timings["aggregates"] = round(time.perf_counter() - t0, 3)
    counts = {name: len(mis) for name, mis in rebuild.items() if mis}
    say(f"  stored aggregates: {time.perf_counter() - t0:.1f} s, months rebuilt: "
        + (", ".join(f"{n} {k}" for n, k in counts.items()) or "none"))
    return counts

