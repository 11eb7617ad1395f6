"""No look-ahead in the model's inputs, with the real cohort engine on a small synthetic
region: the features of month M are the same whether or not the database holds anything dated
after T, and the model rows of month M keep their features when later outcomes change."""
from datetime import date

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pipeline import schema

engine = pytest.importorskip("pipeline.cohort.engine", reason="the cohort engine is not there yet")
generator = pytest.importorskip("pipeline.synth.generator", reason="the generator is not there yet")

from pipeline.cohort.rules import load_rules  # noqa: E402
from pipeline.evaluate import model  # noqa: E402
from pipeline.evaluate.settings import add_months, load_settings  # noqa: E402

DATED = {"contacts": "contact_date", "prescriptions": "prescribed_date",
         "lab_results": "sample_date", "diagnoses": "diagnosis_date", "observations": "obs_date",
         "referrals": "event_date", "cancer_diagnoses": "diagnosis_date"}
MONTHS = [date(2023, m, 1) for m in range(1, 13)]


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "x"
    generator.run(generator.Options(patients=400, month_from=(2022, 1), month_to=(2024, 6),
                                    out=out, seed=7, progress=False))
    return out


def load(extract_dir, cut: date | None = None):
    """Canonical tables straight from the synthetic Parquet files; rows dated after `cut` left
    out (and death dates after it blanked) when given."""
    con = duckdb.connect()
    schema.create_all(con)
    con.execute("CREATE TEMP TABLE t_present (name VARCHAR)")
    for t in schema.EXTRACT_TABLES:
        f = extract_dir / f"{t.name}.parquet"
        if not f.exists():
            continue
        where = f"WHERE {DATED[t.name]} <= DATE '{cut}'" if cut and t.name in DATED else ""
        cols = ", ".join(c.name for c in t.input_columns)
        con.execute(f"INSERT INTO {t.name} ({cols}) SELECT {cols} FROM read_parquet('{f}') {where}")
        con.execute("INSERT INTO t_present VALUES (?)", [t.name])
    if cut:
        con.execute(f"UPDATE patients SET death_date = NULL WHERE death_date > DATE '{cut}'")
    return con


def features(con, month: date) -> pd.DataFrame:
    m = f"{month.year:04d}-{month.month:02d}"
    present = {r[0] for r in con.execute("SELECT name FROM t_present").fetchall()}
    engine.compute(con, m, m, load_rules(), present=present)
    df = con.execute("SELECT * FROM patient_month_features WHERE month = ? "
                     "ORDER BY patient_id", [month]).df()
    assert len(df) > 0
    return df


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(month=st.sampled_from(MONTHS))
def test_features_of_month_m_ignore_everything_after_t(extract, month):
    t = add_months(month, 1).fromordinal(add_months(month, 1).toordinal() - 1)
    full = features(load(extract), month)
    cut = features(load(extract, cut=t), month)
    pd.testing.assert_frame_equal(full, cut)


def model_rows(con, month, settings):
    """The model's rows of `month`: label and encoded features (split made in DuckDB)."""
    model.split(con, [month], settings)
    return con.sql(model.select_rows(model.feature_columns(con), "eval_model_rows",
                                     extra=("patient_id", "label"))).df()


def test_model_rows_keep_features_when_later_outcomes_change(extract):
    month = date(2023, 3, 1)
    con = load(extract)
    features(con, month)
    s = load_settings()
    before = model_rows(con, month, s)
    con.execute("DELETE FROM cancer_diagnoses WHERE diagnosis_date > DATE '2023-03-31'")
    con.execute("INSERT INTO cancer_diagnoses SELECT patient_id, DATE '2023-08-01', 'C349' "
                "FROM patient_month_features WHERE month = DATE '2023-03-01' AND age >= 70")
    after = model_rows(con, month, s)
    pd.testing.assert_frame_equal(before.drop(columns="label"), after.drop(columns="label"))
    assert after["label"].sum() == (after["age"] >= 70).sum()
    assert not before["label"].equals(after["label"])


def test_the_comparison_can_fail(extract):
    """Control: cutting a month before T does change month M's features."""
    month = date(2023, 6, 1)
    full = features(load(extract), month)
    early = features(load(extract, cut=date(2023, 4, 30)), month)
    assert not full.equals(early)
