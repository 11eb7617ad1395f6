"""Report settings added in SPEC v1.1 (appended tables of pipeline/data/report/report.toml)."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache

from ..paths import DATA_DIR


@dataclass(frozen=True)
class Headline:
    rolling_months: int
    round_to: int
    flag_reference: float
    lead_target_share: float
    route_lookback_months: int


@lru_cache(maxsize=1)
def load() -> Headline:
    rep = tomllib.loads((DATA_DIR / "report" / "report.toml").read_text(encoding="utf-8"))
    return Headline(rolling_months=int(rep["headline"]["rolling_months"]),
                    round_to=int(rep["headline"]["rolling_round_to"]),
                    flag_reference=float(rep["flag_yield"]["reference"]),
                    lead_target_share=float(rep["lead_time"]["target_share"]),
                    route_lookback_months=int(rep["route_share"]["lookback_months"]))


def round_count(v: int | None, base: int) -> int | None:
    """Round a published count to the nearest multiple of `base` (halves up); None stays None."""
    if v is None:
        return None
    return int(base * ((2 * int(v) + base) // (2 * base)))
