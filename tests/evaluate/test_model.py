"""The learned model on constructed patient-month features: temporal, patient-disjoint split
in DuckDB, the seeded training sample and its cap, batched prediction, no look-ahead through
the label, metrics and the equal-workload comparison."""
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from pipeline.evaluate import model
from pipeline.evaluate.settings import load_settings

from .helpers import month, new_db

SETTINGS = load_settings()
MONTHS = pd.date_range("2022-01-01", "2023-12-01", freq="MS").date.tolist()


def build(seed: int = 1, n: int = 400):
    """n patients x 24 months; one patient in ten is 'sick': higher ALP every month and a
    cancer some time in 2022-06..2024-06, so a model can learn something."""
    rng = np.random.default_rng(seed)
    con = new_db()
    pids = np.array([f"M{i:04d}" for i in range(n)])
    sick = rng.random(n) < 0.1
    rows = pd.DataFrame([(m, p) for m in MONTHS for p in pids], columns=["month", "patient_id"])
    is_sick = np.tile(sick, len(MONTHS))
    rows["age"] = rng.integers(18, 95, len(rows))
    rows["sex"] = rng.choice(["F", "M"], len(rows))
    rows["care_unit_id"] = "U1"
    rows["contact_days_r"] = rng.poisson(1.5, len(rows))
    rows["hb_min_r"] = np.where(rng.random(len(rows)) < 0.3, rng.normal(135, 15, len(rows)), np.nan)
    rows["alp_max_r"] = rng.gamma(2.0, 0.5, len(rows)) + np.where(is_sick, 1.5, 0.0)
    rows["alp_high"] = rows["alp_max_r"] > 1.9
    rows["hb_low"] = rows["hb_min_r"] < 120
    con.register("rows_df", rows)
    con.execute("INSERT INTO patient_month_features SELECT * FROM rows_df")
    con.execute("INSERT INTO eligible_adults SELECT month, patient_id, care_unit_id FROM rows_df")
    con.execute("""INSERT INTO criteria_met (month, patient_id, criterion)
                   SELECT month, patient_id, 'alp_high' FROM rows_df WHERE alp_high
                   UNION ALL SELECT month, patient_id, 'hb_low' FROM rows_df WHERE hb_low""")
    days = rng.integers(0, 730, n)
    cancers = [(p, date(2022, 6, 1) + pd.Timedelta(days=int(d)).to_pytimedelta())
               for p, d, s in zip(pids, days, sick) if s]
    con.executemany("INSERT INTO cancer_diagnoses VALUES (?, ?, 'C189')", cancers)
    return con


@pytest.fixture(scope="module")
def con():
    return build()


def rows_for(con, months, settings=SETTINGS):
    """The model rows of `months` (split made): keys, label, role and encoded features."""
    model.split(con, months, settings)
    feats = model.feature_columns(con)
    return con.sql(model.select_rows(feats, "eval_model_rows",
                                     extra=("month", "patient_id", "label", "role"))).df()


def features_only(rows):
    return rows.drop(columns=["month", "patient_id", "label", "role"])


def test_label_months_need_complete_follow_up():
    got = model.label_months(month("2023-01"), month("2023-12"), date(2024, 6, 30), 12)
    assert got == [month(f"2023-{m:02d}") for m in range(1, 7)]  # 2023-06 + 12 = 2024-06-30


def test_temporal_split_has_no_patient_in_both_sets(con):
    rows = rows_for(con, MONTHS[:12])
    train, test = rows[rows["role"] == "train"], rows[rows["role"] == "test"]
    assert set(train["patient_id"]).isdisjoint(set(test["patient_id"]))
    assert max(train["month"]) < min(test["month"])
    assert len(test) > 0
    assert test["month"].nunique() == int(np.ceil(12 * SETTINGS.test_share_of_months))
    # every patient not held out is trained on in every training month
    assert len(train) == train["patient_id"].nunique() * train["month"].nunique()
    held = test["patient_id"].nunique() / rows["patient_id"].nunique()
    assert abs(held - SETTINGS.test_share_of_patients) < 0.1  # 400 patients, share 0.4


def test_held_out_patients_follow_the_seed(con):
    def held(seed):
        rows = rows_for(con, MONTHS[:12], replace(SETTINGS, random_state=seed))
        return set(rows.loc[rows["role"] == "test", "patient_id"])
    assert held(0) == held(0)
    assert held(0) != held(1)


def test_training_sample_is_capped_and_seeded(con):
    def sample(cap, seed=0):
        s = replace(SETTINGS, max_train_rows=cap, random_state=seed)
        model.split(con, MONTHS[:12], s)
        n = model.set_sizes(con)["train"]["n_rows"]
        got = model.sample_training(con, s, n)
        keys = con.sql("SELECT month, patient_id, role FROM eval_model_train ORDER BY ALL").df()
        assert got["n_rows"] == len(keys) and set(keys["role"]) == {"train"}
        return n, keys

    n, first = sample(500)
    assert n > 500 and len(first) == 500
    pd.testing.assert_frame_equal(first, sample(500)[1])  # same seed, same rows
    assert not first.equals(sample(500, seed=1)[1])
    assert len(sample(n + 10)[1]) == n  # a cap above the training set keeps every row
    # a uniform sample: its months are all the training months, in about equal numbers
    per_month = first["month"].value_counts()
    assert len(per_month) == len(set(sample(n)[1]["month"])) and per_month.min() > 20


def test_features_ignore_later_labels():
    """Changing outcomes after T changes labels but never the features of month M."""
    con = build(seed=2, n=60)
    m = [month("2022-06")]
    before = rows_for(con, m)
    con.execute("DELETE FROM cancer_diagnoses")
    con.execute("INSERT INTO cancer_diagnoses SELECT patient_id, DATE '2022-09-15', 'C50' "
                "FROM patient_month_features WHERE month = DATE '2022-06-01' AND age > 60")
    after = rows_for(con, m)
    pd.testing.assert_frame_equal(features_only(before), features_only(after))
    assert not before["label"].equals(after["label"])
    assert after["label"].sum() == (before["age"] > 60).sum()


def test_feature_columns_encode_sex_and_booleans_and_drop_ids():
    con = new_db()
    con.execute("CREATE OR REPLACE TABLE patient_month_features (month DATE, patient_id VARCHAR, "
                "care_unit_id VARCHAR, sex VARCHAR, age INTEGER, hb_low BOOLEAN, note VARCHAR, "
                "alp DECIMAL(6, 2))")
    con.execute("INSERT INTO patient_month_features VALUES "
                "('2023-01-01', 'a', 'U', 'M', 70, true, 'x', 1.5), "
                "('2023-01-01', 'b', 'U', 'F', 40, false, 'y', NULL)")
    feats = model.feature_columns(con)
    assert [n for n, _ in feats] == ["male", "age", "hb_low", "alp"]
    X = model.matrix(con.sql(model.select_rows(feats, "patient_month_features", extra=()))
                     .to_arrow_table(), [n for n, _ in feats])
    assert X.dtype == np.float32
    np.testing.assert_array_equal(X, np.array([[1, 70, 1, 1.5], [0, 40, 0, np.nan]], np.float32))


def test_top_share_and_calibration_known_answers():
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 1] * 10)
    p = np.where(y == 1, 0.9, 0.1)
    p[9] = 0.05  # one of the 20 cancers ranked last
    assert model.top_share_captured(y, p, 0.10) == pytest.approx(10 / 20)
    cal = model.calibration_by_decile(y, np.linspace(0, 1, 100), 10)
    assert cal["n"].tolist() == [10] * 10
    assert cal["n_cancer"].sum() == 20


def test_model_report_and_equal_workload(con):
    rep = model.run_model(con, MONTHS[0], MONTHS[-1], date(2024, 12, 31), SETTINGS)
    assert rep.skipped == ""
    assert set(rep.metrics["model"]) == {"logistic_regression", "gradient_boosting"}
    assert rep.metrics["auroc"].between(0.6, 1).all()  # the ALP signal is learnable
    assert rep.metrics["average_precision"].between(0, 1).all()
    n_cal = rep.calibration.groupby("model")["n"].sum()
    assert n_cal.to_dict() == rep.metrics.set_index("model")["n_test"].to_dict()
    ew = rep.equal_workload
    rule = ew[ew["flagged_by"] == "rule"].set_index("min_criteria")["n_flagged"]
    for name in ("logistic_regression", "gradient_boosting"):
        mod = ew[(ew["flagged_by"] == "model") & (ew["model"] == name)].set_index("min_criteria")
        assert (mod["n_flagged"] == rule).all()  # equal workload by construction
    assert max(rep.train_months) < min(rep.test_months)


def test_capped_model_still_scores_every_test_row(con, monkeypatch):
    """A training cap changes what is fitted, never what is scored: every test row, streamed
    in batches (odd batch sizes give the same result as one batch)."""
    capped = replace(SETTINGS, max_train_rows=3000)
    rep = model.run_model(con, MONTHS[0], MONTHS[-1], date(2024, 12, 31), capped)
    sizes = model.set_sizes(con)
    assert (rep.metrics["n_train"] == 3000).all()
    assert (rep.metrics["n_train_available"] == sizes["train"]["n_rows"]).all()
    assert (rep.metrics["n_test"] == sizes["test"]["n_rows"]).all()
    assert (rep.metrics["n_test_cancer"] == sizes["test"]["n_cancer"]).all()
    assert rep.metrics["auroc"].between(0.6, 1).all()
    assert list(rep.timings) == ["split", "sample", "fit", "predict", "metrics"]
    monkeypatch.setattr(model, "PREDICT_BATCH_ROWS", 997)
    small = model.run_model(con, MONTHS[0], MONTHS[-1], date(2024, 12, 31), capped)
    pd.testing.assert_frame_equal(rep.metrics, small.metrics)
    pd.testing.assert_frame_equal(rep.equal_workload, small.equal_workload)


def test_model_skips_with_a_reason_when_no_cancers():
    con = build(seed=3, n=50)
    con.execute("DELETE FROM cancer_diagnoses")
    rep = model.run_model(con, MONTHS[0], MONTHS[-1], date(2024, 12, 31), SETTINGS)
    assert "no cancers" in rep.skipped


def test_calibration_deciles_never_reveal_a_hidden_cell():
    from pipeline.evaluate.render import model_tables

    calib = pd.DataFrame({"model": ["m"] * 4, "decile": [1, 2, 3, 4], "n": [100] * 4,
                          "n_cancer": [3, 10, 12, 20], "mean_predicted": [.01, .02, .03, .04]})
    calib["observed"] = calib["n_cancer"] / calib["n"]
    calib["observed_lo"] = calib["observed_hi"] = calib["observed"]
    rep = model.ModelReport(metrics=pd.DataFrame({"model": ["m"], "n_train_cancer": [50],
                                                  "n_test_cancer": [45], "prevalence_test": [.1]}),
                            calibration=calib, equal_workload=pd.DataFrame(
                                {"n_flagged": [9], "n_cancer": [0], "n_positive": [45]}))
    shown = model_tables(rep)["calibration"]
    # 3 is hidden; with the total 45 shown, the next smallest (10) must go too
    assert shown["n_cancer"].tolist() == [None, None, 12, 20]
    assert shown["observed"].isna().tolist() == [True, True, False, False]


def test_model_answer_quotes_only_shown_numbers():
    from pipeline.evaluate.render import model_answer

    ew = pd.DataFrame({"min_criteria": [2, 2, 2], "flagged_by": ["rule", "model", "model"],
                       "model": ["", "logistic_regression", "gradient_boosting"],
                       "flagged_per_1000": [20.0, 20.0, 20.0], "ppv_12m": [0.05, 0.1, None],
                       "sensitivity": [0.2, 0.4, None]})
    text = model_answer({"equal_workload": ew}, 2)
    assert "5.0 % with cancer" in text and "(40.0 % of the cancers)" in text
    assert "gradient boosting too few cancers to show" in text
    assert model_answer({}, 2) == ""
    sv = model_answer({"equal_workload": ew}, 2, "sv")
    assert "5,0 % cancer inom 12 månader" in sv and "(40,0 % av cancerfallen)" in sv
    assert "gradient boosting för få cancerfall att visa" in sv
