"""Compute the monthly review cohort for one or many months in one pass (SPEC §2-4).

All work is set-based SQL from `sql/cohort/`: the stored patient-month aggregates are brought
up to date (only the months with new data are rebuilt, `aggregates.py`), then each criterion
evaluates its windows over their rows for the target months.
"""
from __future__ import annotations

import datetime as dt
import time

from .. import months, sqlfiles
from ..errors import UsageError
from ..ingest.meta import check_months, present_tables
from . import aggregates
from .rules import KINDS, Rules, install_cancer_macro

STAGES = ("01_months.sql", "02_patient_month.sql", "04_eligibility.sql", "05_recent_window.sql")
# Analytes read whatever the criteria: hb_low, esr_high, calcium_high and the route use them;
# each lab_above criterion adds its own.
FIXED_ANALYTES = ("esr", "hb", "ferritin", "calcium_ionized")
# Event tables and their dates: the first month with data decides baseline_incomplete.
EVENT_DATES = {"contacts": "contact_date", "lab_results": "sample_date",
               "prescriptions": "prescribed_date", "diagnoses": "diagnosis_date",
               "observations": "obs_date"}
# Exclusion step -> the optional table it needs.
EXCLUSION_INPUTS = {"known cancer": "cancer_diagnoses", "referral in R": "referrals"}


def parse_month(text: str) -> int:
    """'YYYY-MM' -> month index year * 12 + month - 1."""
    return months.index(months.parse(text))


def month_text(mi: int) -> str:
    return months.fmt(months.from_index(mi))


month_date = months.from_index


def last_day(mi: int) -> dt.date:
    return months.last_day(months.from_index(mi))


def evaluability(rules: Rules, present: set[str]) -> dict:
    not_evaluable, partial = [], {}
    for cid, c in rules.criteria.items():
        missing = [t for t in c["inputs"] if t not in present]
        if len(missing) == len(c["inputs"]):
            not_evaluable.append(cid)
        elif missing:
            partial[cid] = f"evaluated without {', '.join(missing)} (not ingested)"
    not_applied = [f"{step} exclusion not applied: {table} not ingested"
                   for step, table in EXCLUSION_INPUTS.items() if table not in present]
    return {"not_evaluable": not_evaluable, "partially_evaluable": partial,
            "exclusions_not_applied": not_applied}


def sql_params(rules: Rules, first_mi: int, last_mi: int) -> dict:
    r = rules.data["windows"]["recent_months"]
    b = rules.data["windows"]["baseline_months"]
    lo_mi = first_mi - (r + b - 1)
    p = rules.sql_params()
    p.update({
        "lo_mi": lo_mi, "hi_mi": last_mi,
        "baseline.from_offset": r + b - 1, "baseline.to_offset": r,
        "r_first_mi": first_mi - (r - 1),
        "weight_loss.codes_text": "/".join(rules.codes("weight_loss")),
        "lab_analytes": sorted(set(FIXED_ANALYTES) | {c["analyte"] for c in rules.criteria.values()
                                                      if c["kind"] == "lab_above"}),
    })
    return p


def compute(con, first: str, last: str | None, rules: Rules, progress=None,
            present: set[str] | None = None, computed_at: str | None = None,
            own_transaction: bool = True, full: bool = False) -> dict:
    """Compute months first..last (YYYY-MM) and store them in the cohort tables.

    Everything it writes (stored aggregates, cohort tables) is one transaction of its own;
    with own_transaction=False it runs inside the caller's open transaction instead (`aos run`
    commits ingest and cohort together). `full` rebuilds every stored aggregate.

    Also computes the `episode_lookback_months` months before `first` (needed for new
    episodes) in the same pass; only first..last are written. Returns run facts for the
    manifest (timings, evaluability, baseline-incomplete months, row counts).
    """
    say = progress or (lambda _msg: None)
    first_mi = parse_month(first)
    last_mi = parse_month(last) if last else first_mi
    if last_mi < first_mi:
        raise UsageError(f"--to {last} is before --month {first}")
    lookback = rules.data["cohort"]["episode_lookback_months"]
    calc_first = first_mi - lookback
    present = present_tables(con) if present is None else set(present)
    # only patients: an OMOP source may lack e.g. measurement; its criteria are then not evaluable
    missing_required = [t for t in ("patients",) if t not in present]
    if missing_required:
        raise UsageError(f"the database has no {', '.join(missing_required)} table: "
                         "ingest an extract first (aos ingest, or aos run EXTRACT_DIR)")
    ev = evaluability(rules, present)
    params = sql_params(rules, calc_first, last_mi)
    firsts = [con.execute(f"SELECT min({col}) FROM main.{t}").fetchall()[0][0]
              for t, col in EVENT_DATES.items() if t in present]
    firsts = [d for d in firsts if d is not None]
    params["first_data_mi"] = min(d.year * 12 + d.month - 1 for d in firsts) if firsts else None
    check_months(con, first_mi, last_mi, params["first_data_mi"],
                 rules.data["windows"]["recent_months"] + rules.data["windows"]["baseline_months"])

    # Row order inside tables carries no meaning (outputs sort explicitly); not keeping it
    # lets DuckDB stream big inserts within the memory limit.
    keep_order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("SET preserve_insertion_order = false")
    if own_transaction:
        con.execute("BEGIN TRANSACTION")
    try:
        info = _compute(con, rules, present, ev, params, first_mi, last_mi, calc_first,
                        lookback, say, computed_at, full)
        if own_transaction:
            con.execute("COMMIT")
        return info
    except BaseException:
        if own_transaction:
            con.execute("ROLLBACK")
        raise
    finally:
        con.execute(f"SET preserve_insertion_order = {str(bool(keep_order)).lower()}")


def _compute(con, rules, present, ev, params, first_mi, last_mi, calc_first, lookback, say,
             computed_at, full) -> dict:
    """The requested months for every patient (stored), then the look-back months for the
    patients listed in them only (what new episodes need), then the review list."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    say(f"cohort: months {month_text(first_mi)}..{month_text(last_mi)} "
        f"(+{lookback} earlier months for episodes), rules {rules.version}")
    sqlfiles.run_file(con, "cohort/00_macros.sql", params)
    install_cancer_macro(con, rules.data["cancer"])
    con.execute("CREATE OR REPLACE TEMP TABLE c_code_groups (grp VARCHAR, prefix VARCHAR)")
    groups = [(cid, code) for cid in rules.criteria for code in rules.codes(cid)]
    con.executemany("INSERT INTO c_code_groups VALUES (?, ?)", groups)
    con.execute("CREATE OR REPLACE TEMP TABLE c_focus (patient_id INTEGER)")
    aggregates.refresh(con, rules, params, present, full, timings, say)

    requested = _evaluate(con, rules, ev, params, first_mi, last_mi, False, timings, say)
    sqlfiles.run_file(con, "cohort/07_attrition.sql", requested, timings, say)
    store = dict(requested, rules_version=rules.version, rules_hash=rules.sha256,
                 not_evaluable=",".join(ev["not_evaluable"]),
                 computed_at=computed_at or dt.datetime.now(dt.timezone.utc)
                 .strftime("%Y-%m-%d %H:%M:%S"))
    t0 = time.perf_counter()
    sqlfiles.run_file(con, "cohort/tables.sql", store)
    _store_features(con, rules, requested, first_mi, last_mi, say, timings)
    sqlfiles.run_file(con, "cohort/09_store.sql", store)
    timings["store"] = round(time.perf_counter() - t0, 3)
    say(f"  store: {timings['store']:.1f} s")

    months = [month_text(mi) for mi in range(first_mi, last_mi + 1)]
    incomplete = [month_text(r[0]) for r in con.execute(
        "SELECT mi FROM c_months WHERE requested AND baseline_incomplete ORDER BY mi").fetchall()]
    counts = dict(zip(
        ("criteria_met", "eligible_adults", "patients_passed"),
        con.execute("""SELECT (SELECT count(*) FROM c_criteria_ok),
                              (SELECT count(*) FROM c_base WHERE excluded_at NOT IN (1, 2, 3)),
                              (SELECT count(*) FROM patient_month_features
                                WHERE month IN (SELECT month FROM c_months))""").fetchall()[0]))

    con.execute("CREATE OR REPLACE TEMP TABLE c_listed_req AS SELECT * FROM c_listed")
    if lookback:
        t0 = time.perf_counter()
        con.execute("INSERT INTO c_focus SELECT DISTINCT patient_id FROM c_listed_req")
        _evaluate(con, rules, ev, params, calc_first, first_mi - 1, True, timings, say)
        timings["lookback"] = round(time.perf_counter() - t0, 3)
        say(f"  look-back months, {con.execute('SELECT count(*) FROM c_focus').fetchone()[0]:,} "
            f"listed patients: {timings['lookback']:.1f} s")
        con.execute("CREATE OR REPLACE TEMP TABLE c_listed_lb AS SELECT * FROM c_listed")
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE c_listed_lb AS SELECT * FROM c_listed_req LIMIT 0")
    sqlfiles.run_file(con, "cohort/10_episodes.sql", requested, timings, say)
    counts["review_list"] = con.execute("SELECT count(*) FROM c_review").fetchone()[0]
    timings["cohort_total"] = round(time.perf_counter() - started, 3)
    return {"months": months, "lookback_months": [month_text(mi) for mi in range(calc_first, first_mi)],
            "baseline_incomplete": incomplete, "present_tables": sorted(present),
            "timings": timings,
            "row_counts": {k: counts[k] for k in ("criteria_met", "review_list", "eligible_adults",
                                                  "patients_passed")}, **ev}


def _evaluate(con, rules, ev, params, first_mi, last_mi, focus, timings, say) -> dict:
    """Months first..last (all requested, or all look-back months with `focus`: only the
    patients in c_focus) through eligibility, windows, criteria and listing. Returns the
    parameters of that range."""
    window = sql_params(rules, first_mi, last_mi)
    p = dict(params, focus=focus, **{k: window[k] for k in ("lo_mi", "hi_mi", "r_first_mi")})
    con.execute("CREATE OR REPLACE TEMP TABLE c_month_list AS SELECT CAST(mi AS INTEGER) AS mi, "
                "? AS requested FROM range(?, ?) r(mi)", [not focus, first_mi, last_mi + 1])
    tag = "lookback_" if focus else ""
    stage_timings: dict[str, float] = {}
    for stage in STAGES:
        sqlfiles.run_file(con, f"cohort/{stage}", p, stage_timings, None if focus else say)
    con.execute("""CREATE OR REPLACE TEMP TABLE c_criteria (
        mi INTEGER, patient_id INTEGER, criterion VARCHAR, evidence_date DATE,
        value DOUBLE, threshold DOUBLE, unit VARCHAR, evidence VARCHAR)""")
    for cid, c in rules.criteria.items():
        if cid in ev["not_evaluable"]:
            continue
        relpath, declared, _ = KINDS[c["kind"]]
        cp = dict(p, criterion=cid, codes_text="/".join(rules.codes(cid)),
                  **{k: c[k] for k in declared})
        t0 = time.perf_counter()
        relpath = f"cohort/{relpath}"
        sqlfiles.run(con, "INSERT INTO c_criteria " + sqlfiles.load(relpath), cp, relpath)
        stage_timings[f"criterion_{cid}"] = round(time.perf_counter() - t0, 3)
        if not focus:
            say(f"  criterion {cid}: {stage_timings[f'criterion_{cid}']:.1f} s")
    # Free what the criteria needed and the rest does not (memory for the store step).
    for name in ("c_substance_months", "c_code_months"):
        con.execute(f"DROP TABLE IF EXISTS temp.{name}")
    sqlfiles.run_file(con, "cohort/06_review.sql", p, stage_timings, None if focus else say)
    timings.update({tag + k: v for k, v in stage_timings.items()})
    return p


FEATURE_CHUNK_MONTHS = 6


def features_sql(rules: Rules) -> str:
    """08_features.sql with its per-criterion parts generated from the registry: one flag per
    criterion, and the R-window maximum of each lab_above analyte."""
    ids = list(rules.criteria)
    analytes = sorted({c["analyte"] for c in rules.criteria.values() if c["kind"] == "lab_above"})
    q = sqlfiles.literal
    parts = {  # each part ends where the next column starts (criterion ids are [a-z0-9_])
        "lab_max": "".join(f'max(r_max) FILTER (WHERE analyte = {q(a)}) AS "{a}_max_r",\n           '
                           for a in analytes),
        "lab_cols": "".join(f'v."{a}_max_r", ' for a in analytes),
        "flags": "".join(f'bool_or(criterion = {q(c)}) AS "{c}",\n           ' for c in ids),
        "flag_cols": "".join(f'coalesce(f."{c}", false) AS "{c}",\n       ' for c in ids),
    }
    text = sqlfiles.load("cohort/08_features.sql")
    for name, sql in parts.items():
        text = text.replace(f"/*{name}*/", sql)
    return text


def _store_features(con, rules: Rules, params: dict, first_mi: int, last_mi: int, say,
                    timings) -> None:
    """Replace the features of months first..last, inserted a few months per statement so
    that the joins stay within the memory limit."""
    text = features_sql(rules)
    sqlfiles.run(con, f"CREATE TABLE IF NOT EXISTS patient_month_features AS {text} LIMIT 0",
                 dict(params, feat_lo_mi=0, feat_hi_mi=-1), "cohort/08_features.sql")
    con.execute("DELETE FROM patient_month_features WHERE month IN "
                "(SELECT month FROM c_months WHERE requested)")
    t0 = time.perf_counter()
    for lo in range(first_mi, last_mi + 1, FEATURE_CHUNK_MONTHS):
        hi = min(lo + FEATURE_CHUNK_MONTHS - 1, last_mi)
        sqlfiles.run(con, f"INSERT INTO patient_month_features BY NAME {text}",
                     dict(params, feat_lo_mi=lo, feat_hi_mi=hi), "cohort/08_features.sql")
    timings["features"] = round(time.perf_counter() - t0, 3)
    say(f"  features: {timings['features']:.1f} s")


def drop_temp(con) -> None:
    """Free the intermediate tables and views of the last computation."""
    for kind in ("VIEW", "TABLE"):
        source = "duckdb_views()" if kind == "VIEW" else "duckdb_tables()"
        names = [r[0] for r in con.execute(
            f"SELECT {kind.lower()}_name FROM {source} WHERE temporary AND "
            f"({kind.lower()}_name LIKE 'c\\_%' ESCAPE '\\' OR {kind.lower()}_name LIKE 'src\\_%' ESCAPE '\\'"
            f" OR {kind.lower()}_name LIKE 'raw\\_%' ESCAPE '\\')"
        ).fetchall()]
        for name in names:
            con.execute(f"DROP {kind} IF EXISTS temp.{name}")
