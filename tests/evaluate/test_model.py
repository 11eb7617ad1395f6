"""The learned model on constructed patient-month features: temporal split, no look-ahead
through the label, metrics and the equal-workload comparison."""
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


def rows_for(con, months):
    return model.load_rows(con, months, SETTINGS)


def test_label_months_need_complete_follow_up():
    got = model.label_months(month("2023-01"), month("2023-12"), date(2024, 6, 30), 12)
    assert got == [month(f"2023-{m:02d}") for m in range(1, 7)]  # 2023-06 + 12 = 2024-06-30


def test_temporal_split_has_no_patient_in_both_sets(con):
    rows = rows_for(con, MONTHS[:12])
    train, test = model.temporal_split(rows, SETTINGS)
    assert set(train["patient_id"]).isdisjoint(set(test["patient_id"]))
    assert max(train["month"]) < min(test["month"])
    assert len(test) > 0
    assert test["month"].nunique() == int(np.ceil(12 * SETTINGS.test_share_of_months))


def test_features_ignore_later_labels():
    """Changing outcomes after T changes labels but never the features of month M."""
    con = build(seed=2, n=60)
    m = [month("2022-06")]
    before = rows_for(con, m)
    con.execute("DELETE FROM cancer_diagnoses")
    con.execute("INSERT INTO cancer_diagnoses SELECT patient_id, DATE '2022-09-15', 'C50' "
                "FROM patient_month_features WHERE month = DATE '2022-06-01' AND age > 60")
    after = rows_for(con, m)
    feats_before = model.feature_matrix(before)
    pd.testing.assert_frame_equal(feats_before, model.feature_matrix(after))
    assert not before["label"].equals(after["label"])
    assert after["label"].sum() == (before["age"] > 60).sum()


def test_feature_matrix_encodes_sex_and_booleans_and_drops_ids():
    frame = pd.DataFrame({"month": [date(2023, 1, 1)] * 2, "patient_id": ["a", "b"],
                          "care_unit_id": ["U", "U"], "sex": ["M", "F"], "age": [70, 40],
                          "hb_low": [True, False], "note": ["x", "y"]})
    X = model.feature_matrix(frame)
    assert list(X.columns) == ["male", "age", "hb_low"]
    assert X["male"].tolist() == [1.0, 0.0] and X["hb_low"].tolist() == [1.0, 0.0]


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
