"""A learned risk model on the point-in-time patient-month features (research).

Label: a cancer in (T, last day of month M + 12 months]. Temporal split: the latest months
with complete follow-up are the test months, earlier months the training months; a seeded
share of patients is held out for testing and never trained on. The split is done in DuckDB
(sql/evaluate/08_model_rows.sql); the models are fitted on a seeded sample of at most
`max_train_rows` training rows and predict every test row in batches streamed from DuckDB, so
the memory held in Python does not grow with the population. Models: LogisticRegression and
HistGradientBoostingClassifier. Reported: AUROC, average precision, calibration by decile, the
share of cancers in the top 10 % of risk, and a comparison with the review rule at equal
workload.
"""
from __future__ import annotations

import math
import time
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
from ..ingest.reference import ident
from ..sqlfiles import run_file

# Never model inputs: identifiers, the label, the split, the rule's criteria count kept for the
# comparison (rule_n_criteria), a data-coverage marker (baseline_incomplete) and the review-list
# flag (redundant with n_criteria, which the features keep).
NOT_FEATURES = ("month", "patient_id", "care_unit_id", "label", "rule_n_criteria",
                "baseline_incomplete", "on_review_list", "role", "sample_key")
# DuckDB column types that are model inputs (as FLOAT); DECIMAL(p, s) too.
NUMERIC_TYPES = {"BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                 "USMALLINT", "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE"}
# Test rows per batch streamed from DuckDB for prediction (about 10 MB of float32 features).
PREDICT_BATCH_ROWS = 100_000


@dataclass
class ModelReport:
    metrics: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per model
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)  # model, decile, predicted, observed
    equal_workload: pd.DataFrame = field(default_factory=pd.DataFrame)  # rule vs model per min_criteria
    train_months: list[date] = field(default_factory=list)
    test_months: list[date] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    skipped: str = ""  # why the model was not fitted, if it was not
    timings: dict = field(default_factory=dict)  # seconds per step: sample, fit, predict, metrics


def label_months(first: date, last: date, until: date, window: int) -> list[date]:
    """Months in [first, last] whose label window ends on or before `until`."""
    out, m = [], first
    while m <= last:
        end = add_months(m, window + 1)  # first day after the window
        if (end.toordinal() - 1) <= until.toordinal():
            out.append(m)
        m = add_months(m, 1)
    return out


def feature_columns(con) -> list[tuple[str, str]]:
    """(name, SQL expression) of the model inputs, from the column types of
    patient_month_features: numbers and booleans as FLOAT, sex as male 0/1; identifiers, text
    and dates dropped. Missing values stay NULL (NaN in Python)."""
    out = []
    for name, kind, *_ in con.execute("DESCRIBE patient_month_features").fetchall():
        if name in NOT_FEATURES:
            continue
        if name == "sex":
            out.append(("male", "CAST(sex = 'M' AS FLOAT)"))
        elif kind in NUMERIC_TYPES or kind.startswith("DECIMAL"):
            out.append((name, f"CAST({ident(name)} AS FLOAT)"))
    return out


def select_rows(features: list[tuple[str, str]], source: str, where: str = "true",
                extra: tuple[str, ...] = ("month", "label", "rule_n_criteria")) -> str:
    """SELECT of `extra` columns and the encoded features of `source` (a table or view with
    patient_month_features' columns), in month, patient_id order."""
    cols = [*extra, *(f"{expr} AS {ident(name)}" for name, expr in features)]
    return f"SELECT {', '.join(cols)} FROM {source} WHERE {where} ORDER BY month, patient_id"


def matrix(batch, names: list[str]) -> np.ndarray:
    """The float32 feature matrix of an Arrow record batch or table (NULL -> NaN)."""
    return np.column_stack([batch.column(n).to_numpy(zero_copy_only=False).astype(np.float32)
                            for n in names]) if names else np.empty((batch.num_rows, 0), np.float32)


def split(con, months: list[date], settings: Settings) -> tuple[list[date], list[date]]:
    """Temporal and patient-disjoint split, in DuckDB (view eval_model_rows, column role). The
    latest months are the test months and the earlier ones the training months; a seeded share
    of the patients (hash of patient_id) is held out: their test-month rows are the test set,
    and every other patient's training-month rows the training set. So no patient is in both
    sets (in a closed cohort nearly every patient is seen in both periods, so dropping test-set
    patients alone would leave nothing to train on). Returns (train months, test months)."""
    install_cancer_macro(con, settings.cancer)
    run_file(con, "evaluate/03_cancers.sql", {})
    have = sorted(r[0] for r in con.execute(
        "SELECT DISTINCT month FROM patient_month_features WHERE list_contains(?, month)",
        [months]).fetchall())
    n_test = 0
    if len(have) >= 2:
        n_test = min(len(have) - 1, max(1, math.ceil(len(have) * settings.test_share_of_months)))
    test = have[len(have) - n_test:] if n_test else []
    run_file(con, "evaluate/08_model_rows.sql", {
        "months": have, "test_months": test, "window": settings.label_window_months,
        "seed": str(settings.random_state), "held_out_share": settings.test_share_of_patients})
    return have[:len(have) - n_test], test


def set_sizes(con) -> dict[str, dict]:
    """{'train'|'test': {n_rows, n_patients, n_cancer}} before any sampling."""
    df = run_file(con, "evaluate/10_model_counts.sql", {})
    sizes = {r.role: {"n_rows": int(r.n_rows), "n_patients": int(r.n_patients),
                      "n_cancer": int(r.n_cancer)} for r in df.itertuples()}
    empty = {"n_rows": 0, "n_patients": 0, "n_cancer": 0}
    return {"train": sizes.get("train", empty), "test": sizes.get("test", empty)}


def sample_training(con, settings: Settings, n_available: int) -> dict:
    """Keep at most `max_train_rows` training rows, a seeded uniform sample, in the temp table
    eval_model_train; return its {n_rows, n_patients, n_cancer}."""
    cap = settings.max_train_rows
    keep_below = 1.0 if n_available <= cap else min(1.0, (cap * 1.1 + 1000) / n_available)
    df = run_file(con, "evaluate/09_model_train.sql", {"max_rows": cap, "keep_below": keep_below})
    return {k: int(df[k].iloc[0]) for k in ("n_rows", "n_patients", "n_cancer")}


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


def predict_test(con, models: dict, features: list[tuple[str, str]], settings: Settings):
    """Stream the test rows from DuckDB in batches and predict them with every model; keep
    only month, label, rule_n_criteria and each model's risk."""
    names = [n for n, _ in features]
    query = select_rows(features, "eval_model_rows", "role = 'test'")
    keep: dict[str, list] = {"month": [], "label": [], "rule_n_criteria": []}
    risk: dict[str, list] = {name: [] for name in models}
    with con.sql(query).to_arrow_reader(batch_size=PREDICT_BATCH_ROWS) as reader:
        for batch in reader:
            X = matrix(batch, names)
            keep["month"].append(batch.column("month").to_numpy(zero_copy_only=False))
            keep["label"].append(batch.column("label").to_numpy(zero_copy_only=False).astype(np.int8))
            keep["rule_n_criteria"].append(
                batch.column("rule_n_criteria").to_numpy(zero_copy_only=False))
            with threadpool_limits(limits=settings.n_threads):
                for name, model in models.items():
                    risk[name].append(model.predict_proba(X)[:, 1])
    test = pd.DataFrame({k: np.concatenate(v) for k, v in keep.items()})
    return test, {name: np.concatenate(v) for name, v in risk.items()}


def fit_and_evaluate(con, train_months: list[date], test_months: list[date],
                     settings: Settings) -> ModelReport:
    """Fit both models on the sampled training rows and evaluate them on every test row
    (`split` has made eval_model_rows)."""
    report = ModelReport(train_months=train_months, test_months=test_months)
    t0 = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal t0
        report.timings[step] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()

    sizes = set_sizes(con)
    trained = sample_training(con, settings, sizes["train"]["n_rows"])
    if trained["n_rows"] == 0 or trained["n_cancer"] in (0, trained["n_rows"]):
        report.skipped = "the training months hold no cancers (or only cancers): no model fitted"
        return report
    if sizes["test"]["n_cancer"] == 0:
        report.skipped = "the test months hold no cancers: the model cannot be evaluated"
        return report
    features = feature_columns(con)
    report.features = [n for n, _ in features]
    train = con.sql(select_rows(features, "eval_model_train", extra=("label",))).to_arrow_table()
    X_train = matrix(train, report.features)
    y_train = train.column("label").to_numpy(zero_copy_only=False).astype(np.int8)
    del train
    lap("sample")
    models = make_models(settings)
    with threadpool_limits(limits=settings.n_threads):
        # OpenMP threads beyond free cores slow gradient boosting ten-fold on a shared machine
        for model in models.values():
            model.fit(X_train, y_train)
    del X_train, y_train
    lap("fit")
    test, risks = predict_test(con, models, features, settings)
    lap("predict")
    y_test = test["label"].to_numpy()
    rows_out, calib, workload = [], [], []
    for name, p in risks.items():
        rows_out.append({
            "model": name, "n_train": trained["n_rows"], "n_train_patients": trained["n_patients"],
            "n_train_cancer": trained["n_cancer"], "n_train_available": sizes["train"]["n_rows"],
            "n_test": len(test), "n_test_patients": sizes["test"]["n_patients"],
            "n_test_cancer": int(y_test.sum()),
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
    lap("metrics")
    return report


def run_model(con, first: date, last: date, until: date, settings: Settings) -> ModelReport:
    months = label_months(first, last, until, settings.label_window_months)
    if len(months) < 2:
        return ModelReport(skipped=f"fewer than 2 months in the period have complete "
                                   f"{settings.label_window_months}-month follow-up")
    t0 = time.perf_counter()
    train_months, test_months = split(con, months, settings)
    if not train_months and not test_months:
        return ModelReport(skipped="patient_month_features has no rows for the months with "
                                   "complete follow-up")
    took = round(time.perf_counter() - t0, 3)
    report = fit_and_evaluate(con, train_months, test_months, settings)
    report.timings = {"split": took, **report.timings}
    return report
