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
from typing import TYPE_CHECKING

import numpy as np
from threadpoolctl import threadpool_limits

if TYPE_CHECKING:
    import pandas as pd

THRESHOLD = 4  # counts 1..4 are suppressed (SPEC §6.5; RCC shows wait times only from 5 patients)

Group = tuple[Hashable, list[Hashable]]


def is_small(value: int | None, threshold: int = THRESHOLD) -> bool:
    """True for a count that primary suppression hides (1..threshold)."""
    return value is not None and 1 <= value <= threshold


def suppress(cells: Mapping[Hashable, int | None], groups: Iterable[Group] = (),
             threshold: int = THRESHOLD, unpublished: Iterable[Hashable] = ()) -> set[Hashable]:
    """Keys of the cells to hide. `groups` are additive relations (total, members):
    total = sum(members). `unpublished` cells (e.g. the complement den - num of a share) are
    never shown, so nobody knows them: unless 1..threshold (then protected like any hidden
    cell) they are unknowns of the relations, never hidden as a companion and never a target."""
    groups = [(t, list(m)) for t, m in groups]
    hidden = {k for k, v in cells.items() if is_small(v, threshold)}
    unknown = {k for k in unpublished if k not in hidden}
    while True:
        _secondary(cells, groups, hidden, unknown)
        revealed = determined(groups, hidden | unknown, free=unknown) - unknown
        if not revealed:
            return hidden
        before = len(hidden)
        for k in sorted(revealed, key=str):  # one companion each, then solve again
            _hide_companion(cells, groups, hidden, k, unknown)
        if len(hidden) == before:
            raise RuntimeError(f"disclosure: cannot protect {sorted(map(str, revealed))[:3]}")


def _pick(cells, total, members, hidden, unknown=frozenset()):
    """The next smallest shown cell of a group: a non-zero member, else any member, else
    the total (an unpublished cell is not shown)."""
    shown = [k for k in members if k not in hidden and k not in unknown and cells.get(k) is not None]
    nonzero = [k for k in shown if cells[k] != 0]
    if nonzero or shown:
        return min(nonzero or shown, key=lambda k: (cells[k], str(k)))
    ok = total not in hidden and total not in unknown and cells.get(total) is not None
    return total if ok else None


def _secondary(cells, groups, hidden, unknown=frozenset()) -> None:
    """SPEC rule: a group with exactly one hidden cell hides its next smallest cell (a group
    with an unpublished unknown reveals nothing by itself)."""
    changed = True
    while changed:
        changed = False
        for total, members in groups:
            cell_set = {total, *members}
            if sum(k in hidden for k in cell_set) == 1 and not cell_set & unknown:
                pick = _pick(cells, total, members, hidden, unknown)
                if pick is not None:
                    hidden.add(pick)
                    changed = True


def _hide_companion(cells, groups, hidden, key, unknown=frozenset()) -> None:
    options = [_pick(cells, t, m, hidden, unknown) for t, m in groups if key == t or key in m]
    options = [k for k in options if k is not None]
    if options:
        hidden.add(min(options, key=lambda k: (cells[k], str(k))))


def determined(groups: list[Group], hidden: set, free: set = frozenset()) -> set:
    """Hidden cells whose value follows from the shown cells and all groups together
    (a cell is determined when its unit vector lies in the row space of the system).
    Solved per connected component of hidden cells, which keeps the matrices small. `free`
    hidden cells are unknowns that need no answer (unpublished): one in a single equation
    takes that equation with it (it can satisfy any value), which keeps components small."""
    rows = []
    for total, members in groups:
        coeffs = {k: 1.0 for k in members if k in hidden}
        if total in hidden:
            coeffs[total] = coeffs.get(total, 0.0) - 1.0
        coeffs = {k: c for k, c in coeffs.items() if c}
        if coeffs:
            rows.append(coeffs)
    if free:
        rows = _peel(rows, free)
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


def _peel(rows: list[dict], free: set) -> list[dict]:
    """Drop, repeatedly, each equation holding a free unknown that occurs in no other one."""
    where: dict = {}
    for i, coeffs in enumerate(rows):
        for k in coeffs:
            if k in free:
                where.setdefault(k, set()).add(i)
    todo = [k for k, rs in where.items() if len(rs) == 1]
    dropped = set()
    while todo:
        k = todo.pop()
        if len(where[k]) != 1:
            continue
        (i,) = where[k]
        dropped.add(i)
        for other in rows[i]:
            if other in where:
                where[other].discard(i)
                if len(where[other]) == 1:
                    todo.append(other)
    return [r for i, r in enumerate(rows) if i not in dropped]


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


# --- one table -> disclosed cells: the report's cells, releasable CSVs, evaluate, notebook API ---

Key = tuple[str, str, str, str]


class Cells:
    def __init__(self) -> None:
        self.values: dict[Key, int] = {}
        self.groups: list[tuple[Key, list[Key]]] = []
        self.hidden: set[Hashable] = set()
        self.unpublished: set[Key] = set()  # registered for their relations, never shown
        self.optional: dict[str, set[Key]] = {}  # comparison name -> its cells (finalize)
        self.final = False

    def add(self, key: Key, value, published: bool = True, optional: str | None = None) -> Key:
        """Register a count; `published=False` for a cell no output shows (see `suppress`);
        `optional` names a comparison (a previous pool) whose new cells are shown only when
        that hides no other cell (see `finalize`)."""
        value = int(value)
        if key in self.values and self.values[key] != value:
            raise ValueError(f"cell {key} registered twice with {self.values[key]} and {value}")
        new = key not in self.values
        self.values[key] = value
        if not published:
            self.unpublished.add(key)
        if optional and new:
            self.optional.setdefault(optional, set()).add(key)
        elif not optional:
            for keys in self.optional.values():
                keys.discard(key)
        return key

    def add_group(self, total: Key, members: list[Key]) -> None:
        """Declare total = sum(members); checked, so a wrong relation fails loudly."""
        members = [m for m in members if m in self.values]
        if total not in self.values or not members:
            return
        got = sum(self.values[m] for m in members)
        if got != self.values[total]:
            raise ValueError(f"group {total}: members sum to {got}, not {self.values[total]}")
        self.groups.append((total, members))

    def add_share(self, num: Key, den: Key) -> None:
        """num of den people have a property: the den - num who do not are a count too
        (16 of 18 referred reveals 2 not referred), so a 1-4 is protected like any other. It is
        never published: otherwise an unknown, so that a hidden numerator does not pull its
        shown denominator with it (the cascade seen at 150,000-200,000 patients)."""
        if num not in self.values or den not in self.values:
            return
        rest = (f"complement:{num[0]}|{den[0]}", *num[1:])
        self.add(rest, self.values[den] - self.values[num], published=False)
        self.add_group(den, [num, rest])

    def finalize(self, suppression: bool, threshold: int = THRESHOLD) -> None:
        """Decide the hidden cells. The optional comparisons are first left out (unpublished);
        each is then shown only if that hides no other cell, else hidden whole (a previous
        pool whose difference with another pool would cost the month's own counts)."""
        self.hidden, self.final = set(), True
        if not suppression:
            return
        opt = set().union(*self.optional.values())

        def run(off):
            return suppress(self.values, self.groups, threshold, self.unpublished | off)

        base = run(opt)
        trial = run(set()) if opt else base
        if trial - opt <= base:
            self.hidden = trial
            return
        off = set(opt)
        for _, keys in sorted(self.optional.items()):
            trial = run(off - keys)
            if trial - opt <= base:
                off -= keys
                base = trial - opt
        self.hidden = run(off) | off

    def get(self, key: Key) -> tuple[int | None, bool]:
        """(value, suppressed); value is None when suppressed or never registered."""
        assert self.final, "finalize() before reading cells"
        if key in self.hidden:
            return None, True
        return self.values.get(key), False

    def is_hidden(self, key: Key) -> bool:
        return key in self.hidden


def frame(df: pd.DataFrame, key: str | None, counts: dict[str, list[str]],
          shares: list[tuple[str, str]] = (), total: bool = False, suppression: bool = True,
          also: dict[str, np.ndarray] | None = None, threshold: int = THRESHOLD) -> pd.DataFrame:
    """A table with its small counts hidden, through `Cells` as the report does.

    Every count cell (row, column of `counts`) is registered; `counts` maps a count column to
    the columns computed from it, hidden with it. `total`: each count column's rows add up to a
    published total (a region's, over its units: `key` names the rows). `shares`: (num, den)
    count columns where num counts a subset of den, so den - num is protected too. `also` maps
    a count column to a boolean mask of further cells to hide. Hidden cells become None;
    `suppressed` and `suppressed_cells` name them per row."""
    import pandas as pd  # here: the month run's attrition (`suppress`) never needs pandas

    out = df.copy()
    rows = list(out[key]) if key else list(range(len(out)))
    cells = Cells()
    for col in counts:
        for r, v in zip(rows, out[col]):
            if pd.notna(v):
                cells.add((col, "", "row", str(r)), v)
        if total and col in out:
            cells.add((col, "", "total", ""), out[col].fillna(0).sum())
            cells.add_group((col, "", "total", ""), [(col, "", "row", str(r)) for r in rows])
    for num, den in shares:
        for r in rows:
            cells.add_share((num, "", "row", str(r)), (den, "", "row", str(r)))
        if total:
            cells.add_share((num, "", "total", ""), (den, "", "total", ""))
    cells.finalize(suppression, threshold)
    hidden = pd.Series([[] for _ in range(len(out))], index=out.index, dtype=object)
    for col, dependants in counts.items():
        mask = np.array([cells.is_hidden((col, "", "row", str(r))) for r in rows], dtype=bool)
        if also and col in also:
            mask |= np.asarray(also[col], dtype=bool)
        for c in (col, *dependants):
            if c not in out:
                continue
            hit = mask & out[c].notna().to_numpy()
            if hit.any():
                out[c] = out[c].astype("object").where(~hit, None)
                for i in np.flatnonzero(hit):
                    hidden.iat[i] = hidden.iat[i] + [c]
    out["suppressed"] = hidden.map(bool)
    out["suppressed_cells"] = hidden.map(lambda cs: ";".join(dict.fromkeys(cs)))
    return out
