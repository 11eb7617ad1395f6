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


# -- unpublished cells (share complements): no cascade, and still nothing derivable ----------

def pinned(values: dict, groups, hidden: set, unpublished: set) -> set:
    """Hidden 1-4 cells whose value an attacker can pin down from the shown cells, checked
    independently of `disclosure.determined`: a linear programme over the unknowns (hidden and
    unpublished cells, all >= 0) with every group as an equation; a cell is pinned when its
    minimum equals its maximum."""
    from scipy.optimize import linprog

    unknown = sorted(hidden | unpublished, key=str)
    col = {k: i for i, k in enumerate(unknown)}
    a, b = [], []
    for total, members in groups:
        row, rhs = np.zeros(len(unknown)), 0.0
        for k, sign in [(total, -1.0)] + [(m, 1.0) for m in members]:
            if k in col:
                row[col[k]] += sign
            else:
                rhs -= sign * values[k]
        if row.any():
            a.append(row)
            b.append(rhs)
    out = set()
    for k in unknown:
        if k in unpublished or not disclosure.is_small(values[k]):
            continue
        c = np.zeros(len(unknown))
        c[col[k]] = 1.0
        lo = linprog(c, A_eq=np.array(a), b_eq=b, bounds=(0, None), method="highs")
        hi = linprog(-c, A_eq=np.array(a), b_eq=b, bounds=(0, None), method="highs")
        assert lo.status == 0 and hi.status in (0, 3)  # 3: no upper bound at all
        if hi.status == 0 and -hi.fun - lo.fun < 0.5:
            out.add(k)
    return out


def _flag_yield_cells(cancers: list[int], episodes: list[int]) -> tuple[Cells, list]:
    """As the report registers a flag yield: monthly new episodes (the denominators, also the
    trend chart's counts) with their cancers as shares, and the pooled period over them."""
    c = Cells()
    months = [f"2024-{i:02d}" for i in range(1, len(cancers) + 1)]
    for m, n, k in zip(months, episodes, cancers):
        den = c.add(("new_episodes", m, "region", "ALL"), n)
        c.add_share(c.add(("cancers:flag:6", m, "region", "ALL"), k), den)
    p = f"{months[0]}/{months[-1]}"
    tot_c = c.add(("cancers:flag:6", p, "region", "ALL"), sum(cancers))
    c.add_group(tot_c, [("cancers:flag:6", m, "region", "ALL") for m in months])
    tot_n = c.add(("new_episodes", p, "region", "ALL"), sum(episodes))
    c.add_group(tot_n, [("new_episodes", m, "region", "ALL") for m in months])
    c.add_share(tot_c, tot_n)
    return c, months


def test_a_hidden_cancer_count_does_not_hide_its_denominator():
    """The cascade at 150,000-200,000 patients: monthly cancers 1-4 are hidden, and their
    denominators (hundreds of new episodes) reveal nothing, because the complement (episodes
    without cancer) is never published. They stay shown."""
    cancers = [3, 7, 2, 9, 4, 12, 6, 1, 8, 11, 5, 10]
    episodes = [480, 455, 530, 510, 470, 495, 520, 505, 460, 490, 515, 500]
    c, months = _flag_yield_cells(cancers, episodes)
    c.finalize(suppression=True)
    for m in months:
        assert c.get(("new_episodes", m, "region", "ALL"))[1] is False
    assert all(c.is_hidden(("cancers:flag:6", m, "region", "ALL"))
               for m, k in zip(months, cancers) if 1 <= k <= 4)
    assert not pinned(c.values, c.groups, c.hidden, c.unpublished)


def test_a_small_complement_is_still_protected_and_not_derivable():
    c, _ = _flag_yield_cells([10, 8, 9], [12, 300, 310])  # 2 episodes without cancer in month 1
    c.finalize(suppression=True)
    assert c.get(("cancers:flag:6", "2024-01", "region", "ALL"))[1] or \
        c.get(("new_episodes", "2024-01", "region", "ALL"))[1]
    assert not pinned(c.values, c.groups, c.hidden, c.unpublished)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 40)), min_size=2, max_size=8))
def test_no_hidden_count_is_pinned_by_shares_and_pools(months):
    """Random small months (cancers <= episodes): whatever is hidden, no shown 1-4 remains and
    no hidden 1-4 is pinned down by the shown cells (subtraction or complement)."""
    cancers = [min(k, n) for k, n in months]
    c, _ = _flag_yield_cells(cancers, [n for _, n in months])
    c.finalize(suppression=True)
    shown = {k: v for k, v in c.values.items() if k not in c.hidden and k not in c.unpublished}
    assert not any(disclosure.is_small(v) for v in shown.values())
    assert not pinned(c.values, c.groups, c.hidden, c.unpublished)


def test_no_hidden_count_of_the_report_is_pinned(fixture_db):
    """Every cell of the fixture report (months, pools, previous pools, shares, units): no hidden
    1-4 can be pinned down from what is shown, checked by the linear programme."""
    from datetime import date

    import duckdb

    from pipeline.report.build import compute

    from .fixture_db import REPORT_MONTH

    con = duckdb.connect(str(fixture_db), read_only=True)
    try:
        ctx, _ = compute(con, fixture_db, date.fromisoformat(REPORT_MONTH + "-01"))
    finally:
        con.close()
    c = ctx.cells
    assert any(disclosure.is_small(c.values[k]) for k in c.hidden)
    assert not pinned(c.values, c.groups, c.hidden, c.unpublished)


def test_an_optional_comparison_is_shown_only_when_it_hides_nothing_else():
    """A previous pool (the summary's comparison) that overlaps a shown pool would make the
    secondary suppression hide a further month: it is hidden itself instead; one that costs
    nothing is shown."""
    c = Cells()
    k = {m: c.add(("starts", m, "region", "ALL"), v) for m, v in
         (("m1", 3), ("m2", 50), ("m3", 60), ("m4", 70), ("m5", 80))}
    pool = c.add(("starts", "m1/m2", "region", "ALL"), 53)
    c.add_group(pool, [k["m1"], k["m2"]])
    costly = c.add(("starts", "m2/m3", "region", "ALL"), 110, optional="previous a")
    c.add_group(costly, [k["m2"], k["m3"]])
    free = c.add(("starts", "m4/m5", "region", "ALL"), 150, optional="previous b")
    c.add_group(free, [k["m4"], k["m5"]])
    c.finalize(suppression=True)
    assert c.get(k["m3"]) == (60, False) and c.get(costly) == (None, True)
    assert c.get(free) == (150, False)
    assert c.is_hidden(k["m1"]) and c.is_hidden(k["m2"])
    assert not pinned(c.values, c.groups, c.hidden, c.unpublished)
