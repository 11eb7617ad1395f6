"""Evaluation metrics on aggregate counts: proportions with Wilson 95 % intervals (the same
statsmodels call as the monthly report), rates per 1,000 and the verdict against the band."""
from __future__ import annotations

import numpy as np
from statsmodels.stats.proportion import proportion_confint


def proportion(successes, totals) -> np.ndarray:
    k = np.asarray(successes, dtype=float)
    n = np.asarray(totals, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, k / np.where(n > 0, n, 1), np.nan)


def wilson(successes, totals, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval; NaN where the total is 0."""
    k = np.asarray(successes, dtype=float)
    n = np.asarray(totals, dtype=float)
    safe = np.where(n > 0, n, 1)
    lo, hi = proportion_confint(np.minimum(k, safe), safe, alpha=alpha, method="wilson")
    return np.where(n > 0, lo, np.nan), np.where(n > 0, hi, np.nan)


def per_1000(count, denominator) -> np.ndarray:
    return proportion(count, denominator) * 1000.0


def verdict(lo, hi, n, low: float, high: float, min_n: int) -> np.ndarray:
    """SPEC §6.2, spelled as the report does: 'too_few' (n < min_n), 'below' (upper < low),
    'above' (lower > high), else 'consistent'."""
    lo, hi, n = np.asarray(lo, float), np.asarray(hi, float), np.asarray(n, float)
    out = np.where(hi < low, "below", np.where(lo > high, "above", "consistent"))
    return np.where(n < min_n, "too_few", out).astype(object)
