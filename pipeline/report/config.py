"""Report parameters, lab panel and cancer site groups, read from pipeline/data/report/.

The cancer definition, the yield windows, band and min_n are not report settings: they are
the [cancer] and [yield] sections of the rules file in force (`rules_in_force`: the run's rules
while a report is computed and written; otherwise the shipped file). The report's SQL uses the
macro `is_counted_cancer` installed from the same rules."""
from __future__ import annotations

import csv
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from ..cohort.rules import load_rules
from ..paths import DATA_DIR
from . import settings

REPORT_DATA = DATA_DIR / "report"


@dataclass(frozen=True)
class Config:
    trend_months: int
    cancer_from: str
    cancer_to: str
    cancer_exclude: tuple[str, ...]
    windows: tuple[int, ...]
    headline_window: int
    band_low: float
    band_high: float
    min_n: int
    alpha: float
    lead_time_target_days: int
    referral_within_days: int
    missed_period_months: int
    missed_lookback_months: int
    panel_window_days: int
    panel: tuple[dict, ...]  # {"id", "analytes", "sex"}
    cancer_groups: tuple[dict, ...]  # {"group_id", "code_from", "code_to"}


_IN_FORCE: list = []  # rules of the report being written, innermost last
_CONFIGS: dict[int, tuple] = {}  # id(rules) -> (rules, Config)


@contextmanager
def rules_in_force(rules):
    """While a report is computed and written, `load()`, the message parameters and the
    criterion names follow `rules` (the run's rules file, aos run/report --rules)."""
    _IN_FORCE.append(rules)
    try:
        yield
    finally:
        _IN_FORCE.pop()


@lru_cache(maxsize=1)
def _shipped_rules():
    return load_rules()


def rules_now():
    """The rules in force: the innermost `rules_in_force`, else the shipped rules file."""
    return _IN_FORCE[-1] if _IN_FORCE else _shipped_rules()


def message_params(rules=None) -> dict[str, int]:
    """The parameters message texts may name (attrition steps, the referral measure), from
    `rules` (default: the rules in force)."""
    rules = (rules or rules_now()).data
    return {"min_age": int(rules["cohort"]["min_age"]),
            "min_criteria": int(rules["cohort"]["min_criteria"]),
            "known_cancer_months": int(rules["cohort"]["known_cancer_lookback_months"]),
            "recent_months": int(rules["windows"]["recent_months"]),
            "referral_days": load().referral_within_days,
            "lead_days": load().lead_time_target_days,
            "lead_target_pct": round(settings.load().lead_target_share * 100)}


def load() -> Config:
    """The report configuration under the rules in force (cached per rules object)."""
    rules = rules_now()
    if id(rules) not in _CONFIGS:
        if len(_CONFIGS) > 8:
            _CONFIGS.clear()
        _CONFIGS[id(rules)] = (rules, _build(rules.data))
    return _CONFIGS[id(rules)][1]


def _build(rules: dict) -> Config:
    rep = tomllib.loads((REPORT_DATA / "report.toml").read_text(encoding="utf-8"))
    panel = tomllib.loads((REPORT_DATA / "lab_panel.toml").read_text(encoding="utf-8"))
    with open(REPORT_DATA / "icd10_cancer_groups.csv", encoding="utf-8", newline="") as f:
        groups = tuple(csv.DictReader(f))
    y = rep["yield"]
    cancer, band = rules["cancer"], rules["yield"]
    return Config(
        trend_months=int(rep["trend"]["months"]),
        cancer_from=cancer["icd10_from"],
        cancer_to=cancer["icd10_to"],
        cancer_exclude=tuple(cancer["icd10_except"]),
        windows=tuple(int(w) for w in band["windows_months"]),
        headline_window=int(band["headline_window_months"]),
        band_low=float(band["band_low"]),
        band_high=float(band["band_high"]),
        min_n=int(band["min_n"]),
        alpha=float(y["alpha"]),
        lead_time_target_days=int(rep["pathway"]["lead_time_target_days"]),
        referral_within_days=int(rep["pathway"]["referral_within_days"]),
        missed_period_months=int(rep["missed"]["period_months"]),
        missed_lookback_months=int(rep["missed"]["lookback_months"]),
        panel_window_days=int(panel["window_days"]),
        panel=tuple({"id": t["id"], "analytes": list(t["analytes"]), "sex": t.get("sex")}
                    for t in panel["test"]),
        cancer_groups=groups,
    )
