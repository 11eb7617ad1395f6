"""Evaluate settings: `pipeline/data/evaluate.toml`."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from ..cohort.rules import DEFAULT_RULES
from ..errors import UsageError
# Month helpers live in pipeline.months; these names are the evaluate modules' imports of them.
from ..months import add as add_months, fmt as month_label, parse as parse_month, span as month_range  # noqa: F401
from ..paths import DATA_DIR

SETTINGS_PATH = DATA_DIR / "evaluate.toml"


@dataclass(frozen=True)
class Settings:
    cancer_icd10_from: str
    cancer_icd10_to: str
    cancer_icd10_except: tuple[str, ...]
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
    n_threads: int
    hgb_max_iter: int
    hgb_learning_rate: float
    hgb_max_leaf_nodes: int
    hgb_min_samples_leaf: int
    hgb_l2_regularization: float


def load_settings(path: Path | None = None) -> Settings:
    raw = tomllib.loads(Path(path or SETTINGS_PATH).read_text(encoding="utf-8"))
    flat = {**raw["outcome"], **raw["backtest"], **raw["model"]}
    for key in ("cancer_icd10_except", "windows_months", "min_criteria"):
        flat[key] = tuple(flat[key])
    return Settings(**flat)


def default_rules() -> Path:
    """The shipped cohort rules file."""
    return Path(DEFAULT_RULES)


def with_rules(settings: Settings, rules_path: Path) -> tuple[Settings, tuple[str, ...]]:
    """Take the cancer definition, the episode gap and the review rule's min_criteria from the
    cohort rules file, so that the back-test counts the way the review list does; also return
    its criterion ids."""
    try:
        rules = tomllib.loads(Path(rules_path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"rules file {rules_path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"rules file {rules_path} is not valid TOML: {exc}") from None
    cancer = rules.get("cancer", {})
    cohort = rules.get("cohort", {})
    changes = {}
    if "icd10_from" in cancer:
        changes["cancer_icd10_from"] = cancer["icd10_from"]
    if "icd10_to" in cancer:
        changes["cancer_icd10_to"] = cancer["icd10_to"]
    if "icd10_except" in cancer:
        changes["cancer_icd10_except"] = tuple(cancer["icd10_except"])
    if "min_criteria" in cohort:
        changes["review_min_criteria"] = int(cohort["min_criteria"])
    if "episode_lookback_months" in cohort:
        changes["episode_gap_months"] = int(cohort["episode_lookback_months"])
    return replace(settings, **changes), tuple(rules.get("criteria", {}))
