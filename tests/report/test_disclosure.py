"""Disclosure control (SPEC §6.5): primary and secondary suppression, never a silent 0."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import disclosure
from pipeline.report.cells import Cells


def test_primary_hides_one_to_four_only():
    cells = {"a": 0, "b": 1, "c": 4, "d": 5, "e": 120}
    assert disclosure.suppress(cells) == {"b", "c"}


def test_threshold_is_a_parameter():
    assert disclosure.suppress({"a": 7, "b": 8}, threshold=7) == {"a"}


def test_secondary_hides_next_smallest_member_of_the_row():
    # total 53 = 30 + 3 + 20: showing 53, 30 and 20 would reveal the 3
    cells = {"T": 53, "A": 30, "B": 3, "C": 20}
    hidden = disclosure.suppress(cells, [("T", ["A", "B", "C"])])
    assert hidden == {"B", "C"}


def test_secondary_skips_zero_cells_when_a_nonzero_one_exists():
    cells = {"T": 33, "A": 30, "B": 3, "C": 0}
    assert disclosure.suppress(cells, [("T", ["A", "B", "C"])]) == {"A", "B"}


def test_hidden_total_is_protected_by_its_members():
    cells = {"T": 3, "A": 3, "B": 0}
    hidden = disclosure.suppress(cells, [("T", ["A", "B"])])
    assert {"T", "A"} <= hidden


def test_overlapping_totals_cannot_reveal_a_cell():
    # months m1..m4; P12 = m1+m2, P6 = m1+m2+m3+m4 (nested pooled periods)
    cells = {"P12": 30, "P6": 63, "m1": 10, "m2": 20, "m3": 3, "m4": 30}
    groups = [("P12", ["m1", "m2"]), ("P6", ["m1", "m2", "m3", "m4"])]
    hidden = disclosure.suppress(cells, groups)
    assert "m3" in hidden
    assert not disclosure.determined(groups, hidden)


def test_determined_detects_a_difference_of_totals():
    groups = [("P12", ["m1", "m2"]), ("P6", ["m1", "m2", "m3", "m4"])]
    # hiding m3 and m1 satisfies each group alone, but P6 - P12 - m4 = m3
    assert "m3" in disclosure.determined(groups, {"m1", "m3"})


def test_cells_give_no_number_for_a_suppressed_cell():
    c = Cells()
    c.add(("x", "2025-01", "region", "ALL"), 2)
    c.add(("y", "2025-01", "region", "ALL"), 0)
    c.finalize(suppression=True)
    assert c.get(("x", "2025-01", "region", "ALL")) == (None, True)
    assert c.get(("y", "2025-01", "region", "ALL")) == (0, False)


def test_cells_refuse_a_group_that_does_not_add_up():
    c = Cells()
    c.add(("t", "p", "region", "ALL"), 10)
    c.add(("a", "p", "unit", "A"), 4)
    try:
        c.add_group(("t", "p", "region", "ALL"), [("a", "p", "unit", "A")])
    except ValueError:
        return
    raise AssertionError("a group whose members do not sum to the total must fail")


def _table_cells(grid: np.ndarray):
    """A table with row and column totals and a grand total, as cells and groups."""
    cells, groups = {}, []
    r, c = grid.shape
    for i in range(r):
        for j in range(c):
            cells[(i, j)] = int(grid[i, j])
    for i in range(r):
        cells[(i, "T")] = int(grid[i].sum())
        groups.append(((i, "T"), [(i, j) for j in range(c)]))
    for j in range(c):
        cells[("T", j)] = int(grid[:, j].sum())
        groups.append((("T", j), [(i, j) for i in range(r)]))
    cells[("T", "T")] = int(grid.sum())
    groups.append((("T", "T"), [(i, "T") for i in range(r)]))
    groups.append((("T", "T"), [("T", j) for j in range(c)]))
    return cells, groups


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 4), st.integers(2, 5), st.integers(0, 10_000))
def test_no_small_count_shown_and_no_hidden_cell_determined(rows, cols, seed):
    rng = np.random.default_rng(seed)
    grid = rng.choice([0, 1, 2, 3, 4, 5, 8, 20, 60], size=(rows, cols))
    cells, groups = _table_cells(grid)
    hidden = disclosure.suppress(cells, groups)
    shown = {k: v for k, v in cells.items() if k not in hidden}
    assert not any(1 <= v <= 4 for v in shown.values())
    assert not disclosure.determined(groups, hidden)
    for total, members in groups:  # the SPEC rule itself: never exactly one hidden cell
        assert sum(k in hidden for k in (total, *members)) != 1


def test_an_equality_group_protects_its_one_member():
    # attrition: n_after of step 1 is n_before of step 2 (total = its one member)
    cells = {"a1": 100, "b2": 100, "e2": 3, "a2": 97}
    groups = [("a1", ["b2"]), ("b2", ["e2", "a2"])]
    hidden = disclosure.suppress(cells, groups)
    assert {"e2", "a2"} <= hidden
    assert not disclosure.determined(groups, hidden)
    hidden2 = disclosure.suppress({"a1": 3, "b2": 3}, [("a1", ["b2"])])
    assert hidden2 == {"a1", "b2"}


def test_a_small_complement_hides_the_numerator():
    c = Cells()
    den = c.add(("new_episodes", "2025-01", "region", "ALL"), 18)
    num = c.add(("referred", "2025-01", "region", "ALL"), 16)  # 2 not referred
    c.add_share(num, den)
    c.finalize(suppression=True)
    assert c.get(num) == (None, True)
    assert c.get(den) == (18, False)
