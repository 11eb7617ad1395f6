"""Small-number suppression for evaluate's aggregate outputs (SPEC §6.5).

Uses the report's `pipeline.disclosure`: a count from 1 to its THRESHOLD is hidden (no number,
never a silent 0) and every column derived from it too. Back-test rows are not additive; where
cells add up to a published total (calibration deciles), `secondary` applies the report's
secondary suppression. Each row names what was hidden in `suppressed_cells`; `suppressed` is
true when anything was.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..disclosure import THRESHOLD, frame
from ..disclosure import suppress as hidden_cells


def suppress(df: pd.DataFrame, rules: dict[str, list[str]], limit: int | None = None,
             also: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Hide small counts (`pipeline.disclosure.frame`, the report's path). `rules` maps a count
    column to the columns built on it; `also` maps a count column to a boolean mask of further
    cells to hide (secondary suppression). Counts and dependants become missing (None) and are
    named in `suppressed_cells`."""
    return frame(df, None, rules, also=also, threshold=THRESHOLD if limit is None else limit)


def secondary(df: pd.DataFrame, count_col: str, group_col: str, totals: dict,
              limit: int | None = None) -> np.ndarray:
    """Rows of `count_col` to hide so that no group (rows sharing `group_col`, whose sum is
    the published total `totals[group]`) reveals a hidden cell: the report's rule
    (`pipeline.disclosure.suppress`), applied per group."""
    limit = THRESHOLD if limit is None else limit
    mask = np.zeros(len(df), dtype=bool)
    for group, idx in df.groupby(group_col).indices.items():
        cells = {int(i): int(df[count_col].iloc[i]) for i in idx}
        cells[-1] = int(totals[group])
        hide = hidden_cells(cells, [(-1, [int(i) for i in idx])], limit)
        mask[[i for i in hide if i >= 0]] = True
    return mask
