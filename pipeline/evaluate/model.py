"""A learned risk model on the point-in-time patient-month features (research).

Label: a cancer in (T, last day of month M + 12 months]. Temporal split: the latest months
with complete follow-up are the test months, earlier months the training months; a seeded
random share of patients is held out for testing and never trained on. Models:
LogisticRegression and HistGradientBoostingClassifier. Reported: AUROC, average precision, calibration by decile, the share of cancers in the top 10 %
of risk, and a comparison with the review rule at equal workload.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits  # a scikit-learn dependency

from . import metrics
from .settings import Settings, add_months
from ..cohort.rules import install_cancer_macro
from ..sqlfiles import run_file

# Never model inputs: identifiers, the label, the rule's criteria count kept for the comparison
# (rule_n_criteria), a data-coverage marker (baseline_incomplete) and the review-list flag
# (redundant with n_criteria, which the features keep).
NOT_FEATURES = ("month", "patient_id", "care_unit_id", "label", "rule_n_criteria",
                "baseline_incomplete", "on_review_list")


@dataclass
class ModelReport:
    metrics: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per model
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)  # model, decile, predicted, observed
    equal_workload: pd.DataFrame = field(default_factory=pd.DataFrame)  # rule vs model per min_criteria
    train_months: list[date] = field(default_factory=list)
    test_months: list[date] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    skipped: str = ""  # why the model was not fitted, if it was not


def label_months(first: date, last: date, until: date, window: int) -> list[date]:
    """Months in [first, last] whose label window ends on or before `until`."""
    out, m = [], first
    while m <= last:
        end = add_months(m, window + 1)  # first day after the window
        if (end.toordinal() - 1) <= until.toordinal():
            out.append(m)
        m = add_months(m, 1)
    return out


def feature_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """Numeric model inputs from patient_month_features rows: booleans as 0/1, sex as male 0/1,
    other text columns and identifiers dropped. Missing values stay NaN."""
    cols = {}
    for name in frame.columns:
        if name in NOT_FEATURES:
            continue
        s = frame[name]
        if name == "sex":
            cols["male"] = (s.astype("string") == "M").astype(float)
        elif pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            cols[name] = pd.to_numeric(s, errors="coerce").astype(float)
    return pd.DataFrame(cols, index=frame.index)


def load_rows(con, months: list[date], settings: Settings) -> pd.DataFrame:
    """Features, label and rule criteria count per patient-month."""

    install_cancer_macro(con, settings.cancer)
    run_file(con, "evaluate/03_cancers.sql", {})
    feats = run_file(con, "evaluate/10_model_features.sql", {"months": months})
    labels = run_file(con, "evaluate/08_model_labels.sql",
                      {"months": months, "window": settings.label_window_months})
    rules = run_file(con, "evaluate/09_rule_flags.sql", {"months": months})
    keys = ["month", "patient_id"]
    rows = feats.merge(labels, on=keys, how="left").merge(rules, on=keys, how="left")
    rows["month"] = pd.to_datetime(rows["month"]).dt.date
    return rows


def temporal_split(rows: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Temporal and patient-disjoint split. The latest months are the test months and the
    earlier ones the training months; a random share of the patients (seeded) is held out:
    their test-month rows are the test set, and every other patient's training-month rows the
    training set. So no patient is in both sets (in a closed cohort nearly every patient is
    seen in both periods, so dropping test-set patients alone would leave nothing to train on)."""
    months = sorted(rows["month"].unique())
    if len(months) < 2:
        return rows.iloc[0:0], rows.iloc[0:0]
    n_test = min(len(months) - 1, max(1, math.ceil(len(months) * settings.test_share_of_months)))
    test_months = set(months[-n_test:])
    patients = np.sort(rows["patient_id"].unique())
    rng = np.random.default_rng(settings.random_state)
    held_out = set(patients[rng.random(len(patients)) < settings.test_share_of_patients])
    in_test_months = rows["month"].isin(test_months)
    held = rows["patient_id"].isin(held_out)
    return rows[~in_test_months & ~held], rows[in_test_months & held]


def make_models(settings: Settings) -> dict:
    return {
        "logistic_regression": make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            StandardScaler(),
            LogisticRegression(max_iter=2000),
        ),
        "gradient_boosting": HistGradientBoostingClassifier(
            max_iter=settings.hgb_max_iter, learning_rate=settings.hgb_learning_rate,
            max_leaf_nodes=settings.hgb_max_leaf_nodes, min_samples_leaf=settings.hgb_min_samples_leaf,
            l2_regularization=settings.hgb_l2_regularization, random_state=settings.random_state),
    }


def calibration_by_decile(y: np.ndarray, p: np.ndarray, bins: int) -> pd.DataFrame:
    rank = pd.Series(p).rank(method="first")
    decile = np.ceil(rank / len(p) * bins).clip(1, bins).astype(int)
    df = pd.DataFrame({"decile": decile, "predicted": p, "label": y.astype(int)})
    g = df.groupby("decile").agg(n=("label", "size"), n_cancer=("label", "sum"),
                                 mean_predicted=("predicted", "mean"))
    g["observed"] = metrics.proportion(g["n_cancer"], g["n"])
    g["observed_lo"], g["observed_hi"] = metrics.wilson(g["n_cancer"], g["n"])
    return g.reset_index()


def top_share_captured(y: np.ndarray, p: np.ndarray, share: float) -> float:
    """Share of positive patient-months whose risk is in the top `share` of all patient-months."""
    if y.sum() == 0:
        return float("nan")
    k = max(1, int(round(len(p) * share)))
    top = np.argsort(-p, kind="stable")[:k]
    return float(y[top].sum() / y.sum())


def equal_workload(test: pd.DataFrame, risk: np.ndarray, settings: Settings) -> pd.DataFrame:
    """Review rule at each min_criteria vs the model flagging, in every test month, the same
    number of patient-months (the highest risks)."""
    df = test[["month", "label", "rule_n_criteria"]].copy()
    df["risk"] = risk
    df["risk_rank"] = df.groupby("month")["risk"].rank(method="first", ascending=False)
    n_pos = int(df["label"].sum())
    out = []
    for k in settings.min_criteria:
        rule = df["rule_n_criteria"] >= k
        per_month = rule.groupby(df["month"]).transform("sum")
        model = df["risk_rank"] <= per_month
        for who, flag in (("rule", rule), ("model", model)):
            n, tp = int(flag.sum()), int(df.loc[flag, "label"].sum())
            lo, hi = metrics.wilson([tp], [n])
            out.append({
                "min_criteria": k, "flagged_by": who, "n_patient_months": len(df),
                "n_flagged": n, "flagged_per_1000": float(metrics.per_1000(n, len(df))),
                "n_cancer": tp, "ppv_12m": float(metrics.proportion(tp, n)),
                "ppv_12m_lo": float(lo[0]), "ppv_12m_hi": float(hi[0]),
                "n_positive": n_pos, "sensitivity": float(metrics.proportion(tp, n_pos)),
            })
    return pd.DataFrame(out)


def fit_and_evaluate(rows: pd.DataFrame, settings: Settings) -> ModelReport:
    train, test = temporal_split(rows, settings)
    report = ModelReport(train_months=sorted(train["month"].unique()),
                         test_months=sorted(test["month"].unique()))
    y_train = train["label"].astype(int).to_numpy()
    y_test = test["label"].astype(int).to_numpy()
    if len(train) == 0 or y_train.sum() == 0 or y_train.sum() == len(y_train):
        report.skipped = "the training months hold no cancers (or only cancers): no model fitted"
        return report
    if y_test.sum() == 0:
        report.skipped = "the test months hold no cancers: the model cannot be evaluated"
        return report
    X_train, X_test = feature_matrix(train), feature_matrix(test)
    report.features = list(X_train.columns)
    rows_out, calib, workload = [], [], []
    for name, model in make_models(settings).items():
        # OpenMP threads beyond free cores slow gradient boosting ten-fold on a shared machine
        with threadpool_limits(limits=settings.n_threads):
            model.fit(X_train, y_train)
            p = model.predict_proba(X_test)[:, 1]
        rows_out.append({
            "model": name, "n_train": len(train), "n_train_patients": train["patient_id"].nunique(),
            "n_train_cancer": int(y_train.sum()), "n_test": len(test),
            "n_test_patients": test["patient_id"].nunique(), "n_test_cancer": int(y_test.sum()),
            "auroc": roc_auc_score(y_test, p), "average_precision": average_precision_score(y_test, p),
            "prevalence_test": float(y_test.mean()),
            f"captured_top_{round(settings.top_share * 100)}pct": top_share_captured(
                y_test, p, settings.top_share),
        })
        calib.append(calibration_by_decile(y_test, p, settings.calibration_bins).assign(model=name))
        workload.append(equal_workload(test, p, settings).assign(model=name))
    report.metrics = pd.DataFrame(rows_out)
    report.calibration = pd.concat(calib, ignore_index=True)
    ew = pd.concat(workload, ignore_index=True)
    # the rule rows are the same for both models: keep one copy
    rule = ew[ew["flagged_by"] == "rule"].drop_duplicates("min_criteria").assign(model="")
    report.equal_workload = pd.concat([rule, ew[ew["flagged_by"] == "model"]], ignore_index=True)
    return report


def run_model(con, first: date, last: date, until: date, settings: Settings) -> ModelReport:
    months = label_months(first, last, until, settings.label_window_months)
    if len(months) < 2:
        return ModelReport(skipped=f"fewer than 2 months in the period have complete "
                                   f"{settings.label_window_months}-month follow-up")
    rows = load_rows(con, months, settings)
    if rows.empty:
        return ModelReport(skipped="patient_month_features has no rows for the months with "
                                   "complete follow-up")
    return fit_and_evaluate(rows, settings)
