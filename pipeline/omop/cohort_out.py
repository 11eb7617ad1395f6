"""The review episodes as an OMOP CDM `cohort` table and its `cohort_definition` row, so that
OHDSI tools (ATLAS, CohortDiagnostics) can pick the cohort up.

An episode starts in a month where the patient is new on the review list (SPEC §4: not on it in
the 6 months before) and lasts while the patient stays on the list; cohort_start_date is the
index date T of its first month, cohort_end_date T of its last month (up to the run's month).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..errors import UsageError
from ..ingest.reference import quote

COHORT_DEFINITION_ID = 1
EPISODES_SQL = """
    WITH r AS (SELECT patient_id, month, new_episode FROM review_list WHERE month <= ?),
    e AS (SELECT *, sum(CASE WHEN new_episode THEN 1 ELSE 0 END)
                    OVER (PARTITION BY patient_id ORDER BY month) AS ep FROM r)
    SELECT {id} AS cohort_definition_id, TRY_CAST(patient_id AS BIGINT) AS subject_id,
           CAST(min(month) + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE) AS cohort_start_date,
           CAST(max(month) + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE) AS cohort_end_date,
           patient_id
    FROM e WHERE ep > 0 GROUP BY patient_id, ep"""


def write_cohort(con, out_dir, rules, month: str) -> dict:
    """Write cohort.csv and cohort_definition.csv into `out_dir`; returns what was written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    first = dt.date.fromisoformat(f"{month}-01")
    con.execute(f"CREATE OR REPLACE TEMP TABLE omop_cohort_out AS {EPISODES_SQL.format(id=COHORT_DEFINITION_ID)}",
                [first])
    bad = con.execute("SELECT count(*) FROM omop_cohort_out WHERE subject_id IS NULL").fetchone()[0]
    if bad:
        raise UsageError(f"--omop-cohort-out: {bad:,} episode(s) belong to patient ids that are not OMOP "
                         "person_id integers; the cohort export needs an extract read with --omop")
    n = con.execute("SELECT count(*) FROM omop_cohort_out").fetchone()[0]
    name = f"AOS monitor review cohort (rules {rules.version})"
    desc = (f"Adults with >= 2 new AOS criteria (SPEC §3-4), episodes up to {month}; rules file "
            f"{Path(rules.path).name} sha256 {rules.sha256}")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE omop_cohort_def AS SELECT
        {COHORT_DEFINITION_ID} AS cohort_definition_id, {quote(name)} AS cohort_definition_name,
        {quote(desc)} AS cohort_definition_description, 0 AS definition_type_concept_id,
        {quote(rules.version)} AS cohort_definition_syntax, 0 AS subject_concept_id,
        current_date AS cohort_initiation_date""")
    written = []
    for fname, sql in (("cohort.csv", "SELECT * EXCLUDE (patient_id) FROM omop_cohort_out "
                                      "ORDER BY cohort_start_date, subject_id"),
                       ("cohort_definition.csv", "SELECT * FROM omop_cohort_def")):
        tmp = out / f".{fname}.tmp"
        con.execute(f"COPY ({sql}) TO {quote(str(tmp))} (HEADER, DELIMITER ',')")
        tmp.replace(out / fname)
        written.append(str(out / fname))
    con.execute("DROP TABLE omop_cohort_out")
    con.execute("DROP TABLE omop_cohort_def")
    return {"files": written, "episodes": n, "cohort_definition_id": COHORT_DEFINITION_ID}
