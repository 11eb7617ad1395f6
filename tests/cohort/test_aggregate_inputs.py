"""The stored aggregates read event rows without de-duplicating them (no DISTINCT over every
column: on 12 M prescriptions it cost more than the grouping). That is right only because an
event table never holds two identical rows: ingest quarantines exact duplicates within a file
and skips rows already present from an earlier extract. This test holds the two together."""
from __future__ import annotations

import duckdb

from pipeline.cohort import engine
from pipeline.cohort.aggregates import AGGREGATES
from pipeline.cohort.rules import load_rules
from pipeline.ingest import ingest_extract

PATIENTS = "patient_id,birth_year,sex,care_unit_id,death_date\np1,1950,F,u1,\np2,1960,M,u1,\n"
ROWS = {  # every file repeats one row exactly
    "contacts.csv": "patient_id,contact_date\np1,2025-01-05\np1,2025-01-05\np2,2025-01-06\n",
    "prescriptions.csv": "patient_id,prescribed_date,atc_code\n"
                         "p1,2025-01-05,N02BE01\np1,2025-01-05,N02BE01\np2,2025-01-07,C07AB02\n",
    "lab_results.csv": "patient_id,sample_date,analyte,value,unit\n"
                       "p1,2025-01-05,hb,120,g/L\np1,2025-01-05,hb,120,g/L\np1,2025-01-09,hb,100,g/L\n"
                       "p1,2025-01-05,calcium,2.7,mmol/L\np1,2025-01-05,calcium,2.7,mmol/L\n",
    "observations.csv": "patient_id,obs_date,kind,value,unit\n"
                        "p1,2025-01-05,weight,80,kg\np1,2025-01-05,weight,80,kg\np1,2025-01-06,weight,70,kg\n",
}


def _extract(path, extract_date):
    path.mkdir()
    (path / "extract.toml").write_text(f'region = "Testregion"\nextract_date = {extract_date}\n',
                                       encoding="utf-8")
    (path / "patients.csv").write_text(PATIENTS, encoding="utf-8")
    for name, text in ROWS.items():
        (path / name).write_text(text, encoding="utf-8")
    return path


def test_event_tables_hold_no_identical_rows_and_aggregates_count_each_once(tmp_path):
    db = tmp_path / "aos.duckdb"
    ingest_extract(_extract(tmp_path / "jan", "2025-01-31"), db, progress=False)
    # the same rows again in a later extract (new files): already present, not added
    ingest_extract(_extract(tmp_path / "feb", "2025-02-28"), db, progress=False)
    with duckdb.connect(str(db)) as con:
        engine.compute(con, "2025-01", None, load_rules())
        tables = sorted({t for t, _ in AGGREGATES.values()} & {n.removesuffix(".csv") for n in ROWS})
        for t in tables:
            n, distinct = con.execute(f"SELECT count(*), count(DISTINCT {t}) FROM main.{t} {t}").fetchone()
            assert n == distinct > 0, t
        # what the aggregates made of them: one prescription, Hb mean of 120 and 100, one weight day of 80
        assert con.execute("SELECT sum(n) FROM agg_rx_item_months r JOIN agg_patient_keys k "
                           "ON k.pid = r.patient_id WHERE k.patient_id = 'p1'").fetchone() == (1,)
        assert con.execute("SELECT n, vsum FROM agg_pm_lab l JOIN agg_patient_keys k "
                           "ON k.pid = l.patient_id WHERE k.patient_id = 'p1' AND analyte = 'hb'"
                           ).fetchone() == (2, 220)
        latest = con.execute("SELECT w.latest FROM agg_pm_weight w JOIN agg_patient_keys k "
                             "ON k.pid = w.patient_id WHERE k.patient_id = 'p1'").fetchone()[0]
        assert (latest["w"], latest["prior_max"]) == (70, 80)
