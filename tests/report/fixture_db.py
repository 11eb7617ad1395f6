"""A tiny deterministic database for the report tests: canonical tables from
pipeline.schema plus the cohort tables of docs/architecture.md, filled directly.

The cohort tables come from the engine's own DDL (sql/cohort/tables.sql).
"""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipeline import schema
from pipeline.months import add as add_months
from pipeline.paths import SQL_DIR

# The engine's own DDL for the cohort tables: one declaration, shared with the tests.
COHORT_DDL = (SQL_DIR / "cohort" / "tables.sql").read_text(encoding="utf-8")

REPORT_MONTH = "2025-06"
FIRST_MONTH = date(2023, 7, 1)
N_MONTHS = 24
UNITS = {"U01": 380, "U02": 300, "U03": 40}  # adults per unit; U03 small -> suppression
CRITERIA = ["contact_spike", "alp_high", "hb_low", "esr_high", "weight_loss", "malaise_fatigue", "pain"]
PANEL = ["hb", "wbc", "platelets", "esr", "crp", "glucose", "sodium", "potassium", "creatinine",
         "calcium", "b12", "folate", "ferritin", "ld", "albumin", "s_protein_electrophoresis",
         "free_light_chains", "bilirubin", "alat", "alp", "tsh", "psa", "urine_dipstick"]
META = {"extract_date": date(2025, 7, 5), "data_complete_until": date(2025, 6, 30),
        "cancer_register_complete_until": date(2025, 1, 31)}


def month_list(first: date = FIRST_MONTH, n: int = N_MONTHS) -> list[date]:
    out, d = [], first
    for _ in range(n):
        out.append(d)
        d = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def last_day(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _insert(con, table: str, df: pd.DataFrame) -> None:
    con.register("_df", df)
    con.execute(f"INSERT INTO {table} ({', '.join(df.columns)}) SELECT * FROM _df")
    con.unregister("_df")


def build(path: Path, seed: int = 7, units_sizes: dict[str, int] | None = None,
          n_months: int = N_MONTHS) -> Path:
    """Write the fixture database; `units_sizes` (unit -> adults) scales it for benchmarks;
    `n_months` ending with REPORT_MONTH (36 gives 24 complete yield months before the
    register date, so that every summary card has its previous 12 months)."""
    UNITS_ = units_sizes or UNITS
    rng = np.random.default_rng(seed)
    months = month_list(add_months(month_list()[-1], 1 - n_months), n_months)
    con = duckdb.connect(str(path))
    schema.create_all(con)
    con.execute(COHORT_DDL)

    # patients: adults per unit, plus 20 children
    units = np.repeat(list(UNITS_), list(UNITS_.values()))
    n_adult = len(units)
    pids = [f"P{i:05d}" for i in range(n_adult + 20)]
    patients = pd.DataFrame({
        "patient_id": pids,
        "birth_year": np.r_[rng.integers(1930, 2000, n_adult), rng.integers(2010, 2015, 20)],
        "sex": rng.choice(["F", "M"], n_adult + 20),
        "care_unit_id": np.r_[units, rng.choice(list(UNITS_), 20)],
    })
    _insert(con, "patients", patients)
    adults = patients.iloc[:n_adult]
    _insert(con, "care_units", pd.DataFrame({"care_unit_id": list(UNITS_), "name": list(UNITS_),
                                             "region": "Testregion"}))

    review, elig, crit, runs, attr, refs, cancers, labs = [], [], [], [], [], [], [], []
    last_on = {}  # patient -> index of last month on the list
    for mi, m in enumerate(months):
        t = last_day(m)
        elig.append(pd.DataFrame({"month": m, "patient_id": adults.patient_id,
                                  "care_unit_id": adults.care_unit_id}))
        on = adults.sample(frac=0.03, random_state=int(rng.integers(1 << 30)))
        for r in on.itertuples(index=False):  # fixture only: a few hundred rows
            new = r.patient_id not in last_on or mi - last_on[r.patient_id] > 6
            last_on[r.patient_id] = mi
            k = int(rng.integers(2, 4))
            cs = sorted(rng.choice(CRITERIA, k, replace=False))
            review.append({"month": m, "care_unit_id": r.care_unit_id, "patient_id": r.patient_id,
                           "new_episode": new, "n_criteria": k, "criteria": ";".join(cs), "route": "aos",
                           "prior_cancer": False, "evidence": "fixture"})
            crit += [{"month": m, "patient_id": r.patient_id, "criterion": c, "evidence_date": t}
                     for c in cs]
            if not new:
                continue
            u = rng.random()
            if u < 0.45:  # referred into the AOS pathway
                start = t + timedelta(days=int(rng.integers(3, 60)))
                refs.append({"patient_id": r.patient_id, "event_date": start, "pathway": "AOS",
                             "event": "start", "care_unit_id": r.care_unit_id})
                if rng.random() < 0.9:
                    refs.append({"patient_id": r.patient_id,
                                 "event_date": start + timedelta(days=int(rng.integers(5, 40))),
                                 "pathway": "AOS", "event": "end_dismissed", "care_unit_id": r.care_unit_id})
                if rng.random() < 0.2:
                    cancers.append({"patient_id": r.patient_id, "icd10": rng.choice(["C349", "C189", "C859", "C250", "C61"]),
                                    "diagnosis_date": start + timedelta(days=int(rng.integers(0, 150)))})
                for a in PANEL:
                    if rng.random() < 0.93:
                        labs.append({"patient_id": r.patient_id, "analyte": a, "value": 1.0, "unit": "x",
                                     "sample_date": start - timedelta(days=int(rng.integers(0, 29)))})
            elif u < 0.55:  # never referred, cancer later: a missed opportunity
                cancers.append({"patient_id": r.patient_id, "icd10": rng.choice(["C189", "C509", "C449"]),
                                "diagnosis_date": t + timedelta(days=int(rng.integers(1, 300)))})
        # a few people who developed single criteria
        for pid in adults.patient_id.sample(8, random_state=mi):
            crit.append({"month": m, "patient_id": pid, "criterion": "pain", "evidence_date": t})
        n_rev = len(on)
        n0 = len(patients)
        steps = [("age under 18 at T", 20), ("dead at T", int(rng.integers(1, 4))), ("not listed at T", 0),
                 ("known cancer in the last 12 months", int(rng.integers(5, 9))),
                 ("referral event in the last 3 months", int(rng.integers(6, 12)))]
        rest = n0 - sum(s[1] for s in steps)
        steps.append(("fewer than 2 criteria (not on the review list)", rest - n_rev))
        before = n0
        for no, (name, ex) in enumerate(steps, start=1):
            attr.append({"month": m, "care_unit_id": "ALL", "step_no": no, "step": name,
                         "n_before": before, "n_excluded": ex, "n_after": before - ex})
            before -= ex
        runs.append({"month": m, "rules_version": "aos-rules-v1", "rules_hash": "0123456789abcdef" * 4,  # a sha256 is 64 hex digits
                     "baseline_incomplete": mi < n_months - 10, "not_evaluable": "drug_rise", "computed_at": pd.Timestamp("2025-07-06")})
    # background cancers and a non-AOS pathway start
    for pid in adults.patient_id.sample(25, random_state=1):
        cancers.append({"patient_id": pid, "icd10": "C509",
                        "diagnosis_date": months[0] + timedelta(days=int(rng.integers(0, 700)))})
    _insert(con, "eligible_adults", pd.concat(elig)[["month", "patient_id", "care_unit_id"]])
    _insert(con, "review_list", pd.DataFrame(review))
    _insert(con, "criteria_met", pd.DataFrame(crit).drop_duplicates(["month", "patient_id", "criterion"]))
    _insert(con, "attrition", pd.DataFrame(attr))
    _insert(con, "cohort_runs", pd.DataFrame(runs))
    _insert(con, "referrals", pd.DataFrame(refs))
    _insert(con, "cancer_diagnoses", pd.DataFrame(cancers).drop_duplicates())
    _insert(con, "lab_results", pd.DataFrame(labs).drop_duplicates(["patient_id", "analyte", "sample_date"]))
    _insert(con, "extract_meta", pd.DataFrame([{
        "extract_id": "x1", "extract_dir": "fixture", "region": "Testregion", **META,
        "derived_fields": "cancer_register_complete_until", "ingested_at": pd.Timestamp("2025-07-06")}]))
    files = [("patients", len(patients), 0), ("contacts", 1000, 3), ("lab_results", len(labs), 7),
             ("referrals", len(refs), 0), ("cancer_diagnoses", len(cancers), 0)]
    _insert(con, "ingest_files", pd.DataFrame([{
        "extract_id": "x1", "table_name": t, "source_file": f"{t}.csv", "sha256": "0" * 64,
        "rows_read": n + q, "rows_loaded": n, "rows_already_present": 0, "rows_quarantined": q,
        "ingested_at": pd.Timestamp("2025-07-06")} for t, n, q in files]))
    q = [("contacts", "contact_date", "date after the extract date")] * 3 + \
        [("lab_results", "unit", "unknown unit for analyte")] * 5 + [("lab_results", "value", "not a number")] * 2
    _insert(con, "quarantine", pd.DataFrame([{
        "table_name": t, "source_file": f"{t}.csv", "source_row": i + 1, "column_name": c, "reason": why,
        "extract_id": "x1"} for i, (t, c, why) in enumerate(q)]))
    con.close()
    return path
