"""pipeline.api (what the notebooks use) on a constructed database."""
import pytest

from pipeline import api
from pipeline.errors import UsageError

from .helpers import add_criteria, add_eligible, new_db


@pytest.fixture
def con():
    con = new_db(complete_until="2024-03-31")
    add_eligible(con, [f"A{i}" for i in range(50)], "2023-01", "2023-12", unit="U1")
    add_eligible(con, [f"B{i}" for i in range(20)], "2023-01", "2023-12", unit="U2")
    con.execute("INSERT INTO cohort_runs (month) SELECT DISTINCT month FROM eligible_adults")
    con.execute("""INSERT INTO review_list (month, care_unit_id, patient_id, new_episode, n_criteria)
        SELECT DATE '2023-12-01', 'U1', 'A' || i, i < 6, 2 FROM range(10) t(i)
        UNION ALL SELECT DATE '2023-12-01', 'U2', 'B' || i, true, 2 FROM range(3) t(i)""")
    con.execute("INSERT INTO contacts (patient_id, contact_date) VALUES "
                "('A1', DATE '2023-11-02'), ('A1', DATE '2023-12-20'), ('A1', DATE '2021-01-01')")
    con.execute("INSERT INTO lab_results (patient_id, sample_date, analyte, value, unit) VALUES "
                "('A1', DATE '2023-11-02', 'alp', 2.4, 'µkat/L')")
    add_criteria(con, [("2023-12", "A1", "alp_high")])
    return con


def test_open_db_needs_an_existing_file(tmp_path, monkeypatch):
    monkeypatch.setenv("AOS_DB", str(tmp_path / "none.duckdb"))
    with pytest.raises(UsageError, match="AOS_DB"):
        api.open_db()


def test_months_and_review_list(con):
    assert api.months(con)[0] == "2023-01" and api.months(con)[-1] == "2023-12"
    assert len(api.review_list(con, "2023-12")) == 13
    assert api.review_list(con, "2023-11").empty


def test_review_by_unit_suppresses_small_counts(con):
    units = api.review_by_unit(con, "2023-12").set_index("care_unit_id")
    assert units.loc["U1", "eligible_adults"] == 50
    # U2's 3 is hidden, and U1's 10 with it: the report publishes the region's 13 (secondary)
    assert units.loc["U1", "on_review_list"] is None and bool(units.loc["U1", "suppressed"])
    assert units.loc["U2", "on_review_list"] is None and units.loc["U2", "new_episodes"] is None
    assert units.loc["U2", "new_per_1000"] is None and bool(units.loc["U2", "suppressed"])


def test_patient_timeline_merges_sources_in_date_order(con):
    con.execute("DROP TABLE observations")  # an optional table that was not in the extract
    tl = api.patient_timeline(con, "A1", "2023-12", months_back=6, months_after=1)
    # the criterion has no evidence date here, so it sits at T (2023-12-31)
    assert list(tl["kind"]) == ["contact", "lab", "contact", "criterion met"]
    assert tl["date"].is_monotonic_increasing  # and the 2021 contact is outside the window
    fig = api.plot_timeline(tl, "A1", month="2023-12")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["contact", "lab", "criterion met"]


def test_evaluation_months_needs_lookback_and_follow_up(con):
    # 12 months after the first computed month; last with 6-month follow-up by 2024-03-31
    assert api.evaluation_months(con) == ("2023-09", "2023-09")
    con.execute("UPDATE extract_meta SET cancer_register_complete_until = DATE '2023-05-31'")
    with pytest.raises(UsageError, match="follow-up"):
        api.evaluation_months(con)


def test_backtest_and_answer_are_suppressed(con):
    bt = api.backtest(con, "2023-12", "2023-12")
    assert "suppressed" in bt.columns
    row = bt.set_index("rule_id").loc["criterion:alp_high"]
    assert row["n_episodes"] is None  # one episode: hidden
    assert "Too few" in api.yield_answer(bt)
