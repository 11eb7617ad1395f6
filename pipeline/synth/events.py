"""Collect generated events per table for one block of patients, then filter and finish them.

Dates are int32 days since 1970-01-01. Patients are local row numbers of the block.
Every event is kept only inside its patient's active window (listed, alive, not after the
extract date), so that no event falls after death or after the extract date.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd


def expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For counts per owner: the owner of each item and the item's number within its owner."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    within = np.arange(owner.size) - np.repeat(starts, counts)
    return owner, within


def uniform_days(rng: np.random.Generator, lo, hi) -> np.ndarray:
    """A uniform integer day in [lo, hi] (arrays broadcast)."""
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    span = np.maximum(hi - lo + 1, 1)
    return (lo + np.floor(rng.random(np.broadcast(lo, hi).shape) * span)).astype(np.int64)


def pick(rng: np.random.Generator, values: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    return np.asarray(values)[rng.choice(len(values), size=n, p=weights)]


def _column(v, n: int) -> np.ndarray:
    if isinstance(v, str) or v is None:
        return np.full(n, v, dtype=object)
    if np.isscalar(v):
        return np.full(n, v)
    return np.asarray(v)


class EventSink:
    """Pieces of each table as column arrays; `p` is the local patient, `date` the event day."""

    def __init__(self) -> None:
        self.pieces: dict[str, list[dict[str, np.ndarray]]] = defaultdict(list)

    def add(self, table: str, **cols) -> None:
        n = len(cols["p"])
        if n == 0:
            return
        self.pieces[table].append({k: _column(v, n) for k, v in cols.items()})

    def columns(self, table: str, names: list[str]) -> dict[str, np.ndarray]:
        pieces = self.pieces.get(table, [])
        out = {}
        for name in names:
            parts = [piece[name] for piece in pieces]
            out[name] = np.concatenate(parts) if parts else np.empty(0)
        return out


def keep_in_window(cols: dict[str, np.ndarray], ws: np.ndarray, we: np.ndarray,
                   unique_on: list[str]) -> dict[str, np.ndarray]:
    """Drop rows dated outside their patient's active window and rows repeating an earlier row
    on `unique_on` (so that no two rows are exact duplicates); sort by patient, date, the rest."""
    p = cols["p"].astype(np.int64)
    d = cols["date"].astype(np.int64)
    ok = (d >= ws[p]) & (d <= we[p])
    cols = {k: v[ok] for k, v in cols.items()}
    keys = [cols["p"].astype(np.int64), cols["date"].astype(np.int64)]
    for name in unique_on:
        v = cols[name]
        keys.append(pd.factorize(v)[0] if v.dtype == object else v)
    order = np.lexsort(keys[::-1])
    cols = {k: v[order] for k, v in cols.items()}
    keys = [k[order] for k in keys]
    dup = np.zeros(len(order), bool)
    if len(order):
        dup[1:] = np.logical_and.reduce([k[1:] == k[:-1] for k in keys])
    return {k: v[~dup] for k, v in cols.items()}
