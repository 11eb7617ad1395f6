"""Small-number suppression for aggregate outputs (SPEC §6.5).

A count from 1 to THRESHOLD is never shown (primary suppression). Where a total and
the other cells of its group would reveal a suppressed cell, the next smallest cell is
suppressed too (secondary suppression). Because groups share cells (a unit's month is in
the month's total and in the unit's pooled total), a final check solves all groups
together: any hidden cell that the shown numbers still determine gets a companion.
A suppressed cell holds no number and is flagged; it is never turned into a 0.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

import numpy as np
from threadpoolctl import threadpool_limits

THRESHOLD = 4  # counts 1..4 are suppressed (SPEC §6.5; RCC shows wait times only from 5 patients)

Group = tuple[Hashable, list[Hashable]]


def is_small(value: int | None, threshold: int = THRESHOLD) -> bool:
    """True for a count that primary suppression hides (1..threshold)."""
    return value is not None and 1 <= value <= threshold


def suppress(cells: Mapping[Hashable, int | None], groups: Iterable[Group] = (),
             threshold: int = THRESHOLD) -> set[Hashable]:
    """Keys of the cells to hide. `groups` are additive relations (total, members):
    total = sum(members)."""
    groups = [(t, list(m)) for t, m in groups]
    hidden = {k for k, v in cells.items() if is_small(v, threshold)}
    while True:
        _secondary(cells, groups, hidden)
        revealed = determined(groups, hidden)
        if not revealed:
            return hidden
        before = len(hidden)
        for k in sorted(revealed, key=str):  # one companion each, then solve again
            _hide_companion(cells, groups, hidden, k)
        if len(hidden) == before:
            raise RuntimeError(f"disclosure: cannot protect {sorted(map(str, revealed))[:3]}")


def _pick(cells, total, members, hidden):
    """The next smallest shown cell of a group: a non-zero member, else any member, else
    the total."""
    shown = [k for k in members if k not in hidden and cells.get(k) is not None]
    nonzero = [k for k in shown if cells[k] != 0]
    if nonzero or shown:
        return min(nonzero or shown, key=lambda k: (cells[k], str(k)))
    return total if total not in hidden and cells.get(total) is not None else None


def _secondary(cells, groups, hidden) -> None:
    """SPEC rule: a group with exactly one hidden cell hides its next smallest cell."""
    changed = True
    while changed:
        changed = False
        for total, members in groups:
            if sum(k in hidden for k in {total, *members}) == 1:
                pick = _pick(cells, total, members, hidden)
                if pick is not None:
                    hidden.add(pick)
                    changed = True


def _hide_companion(cells, groups, hidden, key) -> None:
    options = [_pick(cells, t, m, hidden) for t, m in groups if key == t or key in m]
    options = [k for k in options if k is not None]
    if options:
        hidden.add(min(options, key=lambda k: (cells[k], str(k))))


def determined(groups: list[Group], hidden: set) -> set:
    """Hidden cells whose value follows from the shown cells and all groups together
    (a cell is determined when its unit vector lies in the row space of the system).
    Solved per connected component of hidden cells, which keeps the matrices small."""
    rows = []
    for total, members in groups:
        coeffs = {k: 1.0 for k in members if k in hidden}
        if total in hidden:
            coeffs[total] = coeffs.get(total, 0.0) - 1.0
        coeffs = {k: c for k, c in coeffs.items() if c}
        if coeffs:
            rows.append(coeffs)
    parent: dict = {}

    def root(k):
        while parent.setdefault(k, k) != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for coeffs in rows:
        keys = list(coeffs)
        for a, b in zip(keys, keys[1:]):
            parent[root(a)] = root(b)
        root(keys[0])
    components: dict = {}
    for coeffs in rows:
        components.setdefault(root(next(iter(coeffs))), []).append(coeffs)
    out = set()
    for comp_rows in components.values():
        out |= _determined(comp_rows)
    return out


def _determined(rows: list[dict]) -> set:
    index: dict = {}
    for coeffs in rows:
        for k in coeffs:
            index.setdefault(k, len(index))
    a = np.zeros((len(rows), len(index)))
    for i, coeffs in enumerate(rows):
        for k, c in coeffs.items():
            a[i, index[k]] = c
    with threadpool_limits(1):  # small matrices: BLAS threads only contend
        eigval, eigvec = np.linalg.eigh(a.T @ a)  # null space of a: eigenvalue 0
    null = eigvec[:, eigval < 1e-8]  # one row per hidden cell
    free = np.abs(null).sum(axis=1) > 1e-6
    return {k for k, i in index.items() if not free[i]}
