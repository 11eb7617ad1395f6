"""Make sure the cohort months evaluate reads exist, computing missing ones with the cohort
engine (`pipeline.cohort.engine`); evaluate never copies the engine's SQL."""
from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from ..errors import DataRefused
from .settings import add_months, month_label, month_range

logger = logging.getLogger(__name__)


def table_exists(con, name: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()[0])


def computed_months(con, rules_hash: str | None = None) -> set[date]:
    """Months in cohort_runs (computed with the rules file of `rules_hash`, when given)."""
    if not table_exists(con, "cohort_runs"):
        return set()
    return {r[0] for r in con.execute(
        "SELECT DISTINCT month FROM cohort_runs WHERE ? IS NULL OR rules_hash = ?",
        [rules_hash, rules_hash]).fetchall()}


def first_data_month(con) -> date:
    """First month with any contact (the extract's first data month)."""
    if not table_exists(con, "contacts"):
        raise DataRefused("contacts: the table is missing: ingest an extract first (aos ingest)")
    first = con.execute("SELECT min(contact_date) FROM contacts").fetchone()[0]
    if first is None:
        raise DataRefused("contacts: the table is empty: ingest an extract first (aos ingest)")
    return date(first.year, first.month, 1)


def needed_months(con, first: date, last: date, lookback_from: date) -> list[date]:
    """Months first..last plus the look-back, never before the first data month."""
    start = max(lookback_from, first_data_month(con))
    return month_range(min(start, first), last)


def contiguous_runs(months: list[date]) -> list[tuple[date, date]]:
    """[(first, last)] of the runs of consecutive months."""
    runs: list[tuple[date, date]] = []
    for m in sorted(months):
        if runs and add_months(runs[-1][1], 1) == m:
            runs[-1] = (runs[-1][0], m)
        else:
            runs.append((m, m))
    return runs


def ensure_months(con, months: list[date], rules_path: Path | None,
                  progress=logger.info) -> list[date]:
    """Compute the months missing from cohort_runs, or computed there with another rules file,
    with the cohort engine (which replaces their rows, as `aos run` does); return them."""
    from ..cohort import engine  # the cohort engineer's entry point
    from ..cohort.rules import load_rules

    rules = load_rules(rules_path)
    missing = sorted(set(months) - computed_months(con, rules.sha256))
    if not missing:
        return []
    other = sorted(set(missing) & computed_months(con))
    if other:
        progress(f"evaluate: {len(other)} month(s) were computed with another rules file; "
                 f"recomputing them with {rules.version} ({Path(rules.path).name})")
    for first, last in contiguous_runs(missing):
        progress(f"evaluate: computing cohort months {month_label(first)}..{month_label(last)} "
                 "with the engine")
        engine.compute(con, month_label(first), month_label(last), rules, progress=logger.debug)
        engine.drop_temp(con)
    return missing


__all__ = ["ensure_months", "needed_months", "computed_months", "add_months", "table_exists"]
