"""Incremental monthly operation: a database whose stored aggregates were kept up to date
extract by extract (with rows dated in earlier months arriving late) gives exactly what one
full computation on the final data gives: the same cohort tables, output files and stored
aggregates."""
from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipeline import cli
from pipeline.cohort import aggregates, engine
from pipeline.cohort.rules import load_rules
from pipeline.paths import SAMPLE_DIR
from pipeline.synth import generator
from tests.cohort.population import DATE_COLUMNS, load, random_population
from tests.cohort.test_point_in_time import TABLES, snapshot
from tests.cohort.timeline import insert, make_db
from tests.cohort.timeline import run as timeline_run

RULES = load_rules()


def stored_aggregates(con) -> dict[str, list]:
    """Every stored aggregate with patient_id as text (the integer keys differ between
    databases), sorted."""
    out = {}
    for name in aggregates.AGGREGATES:
        cols = [r[0] for r in con.execute(f"DESCRIBE agg_{name}").fetchall() if r[0] != "patient_id"]
        out[name] = con.execute(
            f"SELECT k.patient_id, {', '.join('a.' + c for c in cols)} FROM agg_{name} a "
            "JOIN agg_patient_keys k ON k.pid = a.patient_id ORDER BY ALL").fetchall()
    return out


def late(df: pd.DataFrame, table: str) -> pd.Series:
    """A fixed fourth of the event rows arrive two months late."""
    key = df["patient_id"].astype(str) + df[DATE_COLUMNS[table]].astype(str)
    return pd.util.hash_pandas_object(key, index=False) % 4 == 0


def known_on(frames: dict[str, pd.DataFrame], t: dt.date) -> dict[str, pd.DataFrame]:
    """What an extract taken on T holds: on-time rows dated <= T, late rows dated two months
    before T or earlier; deaths after T not yet known."""
    early = (pd.Timestamp(t) - pd.DateOffset(months=2)).date()
    out = {}
    for name, df in frames.items():
        if name in DATE_COLUMNS:
            d = df[DATE_COLUMNS[name]]
            df = df[(d <= early) | (~late(df, name) & (d <= t))]
        elif name == "patients":
            df = df.assign(death_date=[x if x is not None and x <= t else None
                                       for x in df.death_date])
        out[name] = df
    return out


def add_new_rows(con, frames: dict[str, pd.DataFrame]) -> None:
    """Ingest as `aos ingest` does: event rows not yet present are appended, patients upserted."""
    for name, df in frames.items():
        con.register("frame", df)
        cols = ", ".join(df.columns)
        if name == "patients":
            con.execute("DELETE FROM patients")
            con.execute(f"INSERT INTO patients ({cols}) SELECT {cols} FROM frame")
        else:
            con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM frame "
                        f"EXCEPT ALL SELECT {cols} FROM {name}")
        con.unregister("frame")


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_incremental_months_equal_full_computation(seed):
    frames = random_population(seed, n=80)
    months = ["2024-10", "2024-11", "2024-12", "2025-01", "2025-02"]
    ends = [engine.last_day(engine.parse_month(m)) for m in months]
    inc = load(known_on(frames, ends[0]))
    for m, t in zip(months, ends):
        add_new_rows(inc, known_on(frames, t))
        engine.compute(inc, m, None, RULES, computed_at="2026-01-01 00:00:00")
        full = load(known_on(frames, t))
        engine.compute(full, m, None, RULES, computed_at="2026-01-01 00:00:00", full=True)
        assert snapshot(inc, [m]) == snapshot(full, [m]), m
    # late rows did land in months already aggregated
    assert any(len(known_on(frames, ends[-1])[t]) > len(known_on(frames, ends[-3])[t])
               for t in DATE_COLUMNS)
    # a backfill over the incrementally kept aggregates = all of it computed at once
    engine.compute(inc, months[0], months[-1], RULES, computed_at="2026-01-01 00:00:00")
    engine.compute(full, months[0], months[-1], RULES, computed_at="2026-01-01 00:00:00")
    a, b = snapshot(inc), snapshot(full)
    assert len(a["review_list"]) > 0, "population too sparse to test anything"
    assert a == b
    assert stored_aggregates(inc) == stored_aggregates(full)


def test_month_boundary_lookups_follow_late_rows():
    """Albumin dated in the next month (calcium) and a weight months before (weight loss)
    arriving late rebuild the aggregate months that read them."""
    frames = random_population(21, n=10)
    pid = frames["patients"].patient_id.iloc[0]
    frames["lab_results"] = pd.DataFrame({
        "patient_id": [pid] * 2, "sample_date": [dt.date(2024, 5, 31), dt.date(2024, 6, 2)],
        "analyte": ["calcium", "albumin"], "value": [2.55, 30.0], "unit": ["mmol/L", "g/L"]})
    frames["observations"] = pd.DataFrame({
        "patient_id": [pid] * 2, "obs_date": [dt.date(2024, 8, 20), dt.date(2024, 3, 1)],
        "kind": ["weight"] * 2, "value": [70.0, 80.0], "unit": ["kg"] * 2})
    first = {k: v.iloc[:1] if k in ("lab_results", "observations") else v
             for k, v in frames.items()}
    inc = load(first)
    engine.compute(inc, "2024-08", None, RULES)
    before = stored_aggregates(inc)
    add_new_rows(inc, frames)
    engine.compute(inc, "2024-09", None, RULES)
    full = load(frames)
    engine.compute(full, "2024-09", None, RULES)
    after = stored_aggregates(inc)
    assert after == stored_aggregates(full)
    assert before["pm_calcium"] != after["pm_calcium"]  # May's calcium now has June's albumin
    assert before["pm_weight"] != after["pm_weight"]  # August's weight now has a prior maximum
    august = {mi: latest for _, mi, latest in after["pm_weight"]}[engine.parse_month("2024-08")]
    assert august["prior_max"] == 80.0


def test_changed_rules_rebuild_and_full_flag(tmp_path):
    con = load(random_population(31, n=40))
    engine.compute(con, "2024-12", None, RULES)
    say = []
    engine.compute(con, "2025-01", None, RULES, progress=say.append)
    assert any("months rebuilt: none" in s for s in say)
    text = RULES.path.read_text(encoding="utf-8").replace("albumin_max_days = 7",
                                                          "albumin_max_days = 5")
    assert "albumin_max_days = 5" in text
    (tmp_path / "r.toml").write_text(text, encoding="utf-8")
    other = load_rules(tmp_path / "r.toml")
    say.clear()
    engine.compute(con, "2025-01", None, other, progress=say.append)
    assert any("full rebuild (rules or code changed)" in s for s in say)
    fresh = load(random_population(31, n=40))
    engine.compute(fresh, "2025-01", None, other)
    assert stored_aggregates(con) == stored_aggregates(fresh)
    say.clear()
    engine.compute(con, "2025-01", None, other, progress=say.append, full=True)
    assert any("full rebuild" in s for s in say)
    assert stored_aggregates(con) == stored_aggregates(fresh)


# ---- the command line, on extracts: the bundled sample and a random synthetic region ----

def cut_extract(src: Path, out: Path, t: dt.date) -> Path:
    """An extract as delivered on T (see known_on), written as Parquet."""
    out.mkdir(parents=True)
    meta = tomllib.loads((src / "extract.toml").read_text(encoding="utf-8"))
    con = duckdb.connect()
    early = (pd.Timestamp(t) - pd.DateOffset(months=2)).date()
    for f in src.glob("*.parquet"):
        name = f.stem
        if name in DATE_COLUMNS:
            d = DATE_COLUMNS[name]
            where = (f"WHERE {d} <= DATE '{early}' OR ({d} <= DATE '{t}' AND "
                     f"hash(patient_id, {d}) % 4 <> 0)")
            q = f"SELECT * FROM read_parquet('{f}') {where}"
        elif name == "patients":
            q = (f"SELECT * REPLACE (CASE WHEN death_date <= DATE '{t}' THEN death_date END "
                 f"AS death_date) FROM read_parquet('{f}')")
        else:
            q = f"SELECT * FROM read_parquet('{f}')"
        con.execute(f"COPY ({q}) TO '{out / f.name}' (FORMAT parquet)")
    (out / "extract.toml").write_text(
        f'extract_date = "{meta["extract_date"]}"\ndata_complete_until = "{t}"\n'
        f'cancer_register_complete_until = "{meta["cancer_register_complete_until"]}"\n',
        encoding="utf-8")
    return out


def outputs(out: Path) -> dict[str, bytes]:
    cur = out / "current"
    return {str(p.relative_to(cur)): p.read_bytes() for p in sorted(cur.rglob("*"))
            if p.is_file() and p.name != "run_manifest.json"}


def cohort_tables(db: Path, months: list[str]) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        snap = snapshot(con, months)
        snap.pop("cohort_runs")
        return snap
    finally:
        con.close()


def aos_run(*args) -> None:
    assert cli.main(["run", *map(str, args), "--no-report", "-q"]) == 0


def check_cli_sequence(src: Path, months: list[str], tmp: Path) -> None:
    ends = [engine.last_day(engine.parse_month(m)) for m in months]
    extracts = [cut_extract(src, tmp / f"x-{m}", t) for m, t in zip(months, ends)]
    inc, full = tmp / "inc.duckdb", tmp / "full.duckdb"
    for m, x in zip(months, extracts):
        aos_run(x, "--db", inc, "--month", m, "--out", tmp / "out-inc")
    aos_run(extracts[-1], "--db", full, "--month", months[-1], "--out", tmp / "out-full", "--full")
    assert outputs(tmp / "out-inc") == outputs(tmp / "out-full")
    aos_run("--db", inc, "--month", months[0], "--to", months[-1], "--out", tmp / "out-inc")
    aos_run("--db", full, "--month", months[0], "--to", months[-1], "--out", tmp / "out-full")
    a, b = outputs(tmp / "out-inc"), outputs(tmp / "out-full")
    assert "sensitive/review_list.csv" in a and a == b
    assert cohort_tables(inc, months) == cohort_tables(full, months)
    assert sum(len(v) for v in cohort_tables(inc, months).values()) > 0
    ci, cf = (duckdb.connect(str(d), read_only=True) for d in (inc, full))
    assert stored_aggregates(ci) == stored_aggregates(cf)


def test_cli_incremental_equals_full_on_the_sample(tmp_path):
    check_cli_sequence(SAMPLE_DIR, ["2025-04", "2025-05", "2025-06"], tmp_path)


def test_cli_incremental_equals_full_on_a_random_extract(tmp_path):
    src = tmp_path / "synth"
    generator.run(generator.Options(patients=1500, month_from=(2023, 1), month_to=(2024, 9),
                                    out=src, seed=5, progress=False))
    check_cli_sequence(src, ["2024-06", "2024-07", "2024-08", "2024-09"], tmp_path)


def test_failed_run_leaves_the_stored_aggregates_as_they_were(tmp_path, monkeypatch):
    from pipeline.cohort import outputs
    from pipeline.paths import REPO_DIR
    from tests.reliability.state import db_state

    db, out = tmp_path / "aos.duckdb", tmp_path / "out"
    fixture = REPO_DIR / "tests" / "fixtures" / "ingest" / "canonical"
    aos_run(fixture, "--month", "2025-03", "--db", db, "--out", out)
    con = duckdb.connect(str(db))  # late rows, as a newer extract would append them
    con.execute("INSERT INTO contacts SELECT * REPLACE (contact_date - 40 AS contact_date) "
                "FROM contacts EXCEPT SELECT * FROM contacts")
    con.close()
    before = db_state(db)

    def boom(*a, **k):
        raise RuntimeError("simulated crash while writing the outputs")

    monkeypatch.setattr(outputs, "write_outputs", boom)
    assert cli.main(["run", "--db", str(db), "--month", "2025-03", "--out", str(out),
                     "--no-report", "-q"]) == 3
    assert db_state(db) == before
    monkeypatch.undo()
    aos_run("--db", db, "--month", "2025-03", "--out", out)
    after = db_state(db)
    assert after["agg_pm_contacts"] != before["agg_pm_contacts"]
    assert after["agg_counts"] != before["agg_counts"]


def rebuilt(messages: list[str]) -> dict[str, int]:
    """Months rebuilt per aggregate, from the engine's 'months rebuilt: a 1, b 3' line."""
    line = next(m for m in messages if "months rebuilt:" in m).split("months rebuilt: ")[1]
    return {} if line == "none" else {k: int(n) for k, n in (p.split() for p in line.split(", "))}


def test_a_new_month_rebuilds_only_the_months_whose_rows_it_can_change():
    """Weight loss reads the 183 days before a weighing, calcium the albumin +-7 days around a
    sample: new rows rebuild the months after / around them that hold weighings / samples,
    not the empty months in reach (the next month has no data yet)."""
    first = {
        "patients": """
            patient_id | birth_year | sex
            p1         | 1950       | F
        """,
        "observations": """
            patient_id | obs_date   | kind   | value
            p1         | 2024-03-01 | weight | 80.0
            p1         | 2024-08-20 | weight | 70.0
        """,
        "lab_results": """
            patient_id | sample_date | analyte | value
            p1         | 2024-08-30  | calcium | 2.55
        """,
    }
    later = {  # the next extract: September, and a weight of June arriving late
        "observations": """
            patient_id | obs_date   | kind   | value
            p1         | 2024-09-10 | weight | 69.0
            p1         | 2024-06-15 | weight | 90.0
        """,
        "lab_results": """
            patient_id | sample_date | analyte | value
            p1         | 2024-09-02  | albumin | 30.0
        """,
    }
    inc = make_db(first)
    timeline_run(inc, "2024-08")
    for table, text in later.items():
        insert(inc, table, text)
    said: list[str] = []
    timeline_run(inc, "2024-09", progress=said.append)
    # weight: June (late) and September changed; June, August, September hold weighings
    # (was: June .. April, 11 months); calcium: August and September (was: + October)
    assert rebuilt(said) == {"pm_weight": 3, "pm_calcium": 2, "pm_lab": 1}
    full = make_db(first)
    for table, text in later.items():
        insert(full, table, text)
    timeline_run(full, "2024-09", full=True)
    assert stored_aggregates(inc) == stored_aggregates(full)
    august = {mi: w for _, mi, w in stored_aggregates(inc)["pm_weight"]}[engine.parse_month("2024-08")]
    assert august["prior_max"] == 90.0  # the late June weight reached August
    calcium = stored_aggregates(inc)["pm_calcium"]
    assert [r[3]["albumin_date"] for r in calcium] == [dt.date(2024, 9, 2)]  # all_best
