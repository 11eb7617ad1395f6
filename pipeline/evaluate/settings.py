"""Evaluate settings: `pipeline/data/evaluate.toml`."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from ..cohort.rules import DEFAULT_RULES, load_rules
from ..errors import UsageError
# Month helpers live in pipeline.months; these names are the evaluate modules' imports of them.
from ..months import add as add_months, fmt as month_label, parse as parse_month, span as month_range  # noqa: F401
from ..paths import DATA_DIR

SETTINGS_PATH = DATA_DIR / "evaluate.toml"
# `aos evaluate`'s DuckDB memory limit for the back-test and the model when AOS_MEMORY_LIMIT is
# not set (missing cohort months are computed first under aos run's limit). The model's sample
# and batches live in Python beside it (max_train_rows bounds them); DuckDB spills the rest to
# `<database>.tmp`.
MEMORY_LIMIT = "2GB"


@dataclass(frozen=True)
class Settings:
    cancer: dict  # the rules file's validated [cancer] section (pipeline.cohort.rules)
    windows_months: tuple[int, ...]
    headline_window_months: int
    episode_gap_months: int
    sensitivity_lookback_months: int
    min_criteria: tuple[int, ...]
    review_min_criteria: int
    expected_yield_low: float
    expected_yield_high: float
    min_n_verdict: int
    label_window_months: int
    test_share_of_months: float
    test_share_of_patients: float
    top_share: float
    calibration_bins: int
    random_state: int
    max_train_rows: int
    n_threads: int
    hgb_max_iter: int
    hgb_learning_rate: float
    hgb_max_leaf_nodes: int
    hgb_min_samples_leaf: int
    hgb_l2_regularization: float


def load_settings(path: Path | None = None) -> Settings:
    raw = tomllib.loads(Path(path or SETTINGS_PATH).read_text(encoding="utf-8"))
    flat = {**raw["outcome"], **raw["backtest"], **raw["model"]}
    flat["min_criteria"] = flat.pop("min_criteria_grid")
    flat["min_criteria"] = tuple(flat["min_criteria"])
    return Settings(**_from_rules(load_rules()), **flat)


def _from_rules(rules) -> dict:
    """The settings that are the cohort rules' own (one source: the rules file)."""
    cohort, cancer, y = rules.data["cohort"], rules.data["cancer"], rules.data["yield"]
    return {"cancer": {k: cancer[k] for k in ("icd10_from", "icd10_to", "icd10_except")},
            "windows_months": tuple(y["windows_months"]),
            "headline_window_months": y["headline_window_months"],
            "expected_yield_low": y["band_low"], "expected_yield_high": y["band_high"],
            "min_n_verdict": y["min_n"],
            "review_min_criteria": int(cohort["min_criteria"]),
            "episode_gap_months": int(cohort["episode_lookback_months"])}


def default_rules() -> Path:
    """The shipped cohort rules file."""
    return Path(DEFAULT_RULES)


def with_rules(settings: Settings, rules_path: Path) -> tuple[Settings, tuple[str, ...]]:
    """Take the cancer definition, the episode gap and the review rule's min_criteria from the
    cohort rules file (loaded and validated by pipeline.cohort.rules), so that the back-test
    counts the way the review list does; also return its criterion ids."""
    rules = load_rules(rules_path)
    return replace(settings, **_from_rules(rules)), tuple(rules.criteria)
