"""Point-in-time correctness and month-by-month consistency on random populations."""
import datetime as dt

import pytest

from pipeline.cohort import engine
from pipeline.cohort.rules import load_rules
from tests.cohort.population import load, random_population, truncate

RULES = load_rules()
TABLES = {
    "criteria_met": "month, patient_id, criterion",
    "review_list": "month, patient_id",
    "attrition": "month, care_unit_id, step_no",
    "eligible_adults": "month, patient_id",
    "patient_month_features": "month, patient_id",
}


def snapshot(con, months=None):
    where = ""
    if months:
        where = "WHERE strftime(month, '%Y-%m') IN (" + ", ".join(f"'{m}'" for m in months) + ")"
    out = {t: con.execute(f"SELECT * FROM {t} {where} ORDER BY {order}").fetchall()
           for t, order in TABLES.items()}
    out["cohort_runs"] = con.execute(
        f"SELECT month, rules_version, rules_hash, baseline_incomplete, not_evaluable "
        f"FROM cohort_runs {where} ORDER BY month").fetchall()
    return out


@pytest.mark.parametrize("seed,month", [(1, "2024-09"), (2, "2025-03"), (3, "2024-12"),
                                        (4, "2025-06")])
def test_data_after_T_never_changes_month_M(seed, month):
    frames = random_population(seed)
    full = load(frames)
    engine.compute(full, month, None, RULES, computed_at="2026-01-01 00:00:00")
    mi = engine.parse_month(month)
    cut = load(truncate(frames, engine.last_day(mi)))
    engine.compute(cut, month, None, RULES, computed_at="2026-01-01 00:00:00")
    a, b = snapshot(full), snapshot(cut)
    assert sum(len(v) for v in a.values()) > 0
    assert len(a["review_list"]) > 0, "population too sparse to test anything"
    assert a == b


@pytest.mark.parametrize("seed", [5, 6])
def test_backfill_equals_each_month_alone(seed, monkeypatch):
    monkeypatch.setattr(engine, "FEATURE_CHUNK_MONTHS", 4)  # features stored in 2 chunks
    frames = random_population(seed)
    together = load(frames)
    engine.compute(together, "2024-07", "2024-12", RULES)
    alone = load(frames)
    months = ["2024-07", "2024-08", "2024-09", "2024-10", "2024-11", "2024-12"]
    for m in reversed(months):  # order must not matter either
        engine.compute(alone, m, None, RULES)
    a, b = snapshot(together), snapshot(alone)
    assert len(a["review_list"]) > 0
    assert {r[0] for r in a["review_list"]} == {dt.date(2024, m, 1) for m in range(7, 13)}
    assert a == b


def test_recomputing_a_month_replaces_its_rows():
    con = load(random_population(7))
    engine.compute(con, "2024-10", "2024-11", RULES)
    first = snapshot(con)
    engine.compute(con, "2024-11", None, RULES)
    assert snapshot(con) == first
    assert con.execute("SELECT count(*) FROM cohort_runs").fetchall()[0][0] == 2


def test_a_failed_store_leaves_the_cohort_tables_as_they_were(monkeypatch):
    con = load(random_population(8))
    engine.compute(con, "2024-10", None, RULES)
    before = snapshot(con)

    real = engine._store_features

    def broken(con, *args, **kwargs):  # fails after the old rows were deleted
        real(con, *args, **kwargs)
        assert con.execute("SELECT count(*) FROM patient_month_features "
                           "WHERE month = DATE '2024-10-01'").fetchall()[0][0] > 0
        raise RuntimeError("disk full")
    monkeypatch.setattr(engine, "_store_features", broken)
    with pytest.raises(RuntimeError):
        engine.compute(con, "2024-10", "2024-11", RULES)
    assert snapshot(con) == before
