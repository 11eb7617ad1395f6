"""Every count shown anywhere in the report, registered once under a key, so that
disclosure control is decided once and applied alike in every output.

A key is (quantity, period, group_type, group). A period is a month 'YYYY-MM' or a
range 'YYYY-MM/YYYY-MM'. Groups are additive relations (total = sum of members).
"""
from __future__ import annotations

from collections.abc import Hashable

from .. import disclosure

Key = tuple[str, str, str, str]


class Cells:
    def __init__(self) -> None:
        self.values: dict[Key, int] = {}
        self.groups: list[tuple[Key, list[Key]]] = []
        self.hidden: set[Hashable] = set()
        self.final = False

    def add(self, key: Key, value) -> Key:
        value = int(value)
        if key in self.values and self.values[key] != value:
            raise ValueError(f"cell {key} registered twice with {self.values[key]} and {value}")
        self.values[key] = value
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
        (16 of 18 referred reveals 2 not referred), so it is protected like any other."""
        if num not in self.values or den not in self.values:
            return
        rest = (f"complement:{num[0]}|{den[0]}", *num[1:])
        self.add(rest, self.values[den] - self.values[num])
        self.add_group(den, [num, rest])

    def finalize(self, suppression: bool, threshold: int = disclosure.THRESHOLD) -> None:
        self.hidden = disclosure.suppress(self.values, self.groups, threshold) if suppression else set()
        self.final = True

    def get(self, key: Key) -> tuple[int | None, bool]:
        """(value, suppressed); value is None when suppressed or never registered."""
        assert self.final, "finalize() before reading cells"
        if key in self.hidden:
            return None, True
        return self.values.get(key), False

    def is_hidden(self, key: Key) -> bool:
        return key in self.hidden
