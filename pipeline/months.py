"""Calendar months: parse 'YYYY-MM', format, add, last day, index. The only month arithmetic.

A month is a `date` on its first day; `index` (year * 12 + month - 1) is the integer form the
cohort SQL uses.
"""
from __future__ import annotations

import calendar
import re
from datetime import date

from .errors import UsageError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


YEARS = range(1900, 3000)  # accepted calendar years of a month argument


def parse(text, what: str = "month", years: range = YEARS) -> date:
    """'YYYY-MM' -> its first day; UsageError (exit 2) naming `what` otherwise, also when the
    year is outside `years`."""
    m = _MONTH.match(str(text if text is not None else "").strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise UsageError(f"{what} {text!r}: expected a month as YYYY-MM, e.g. 2025-06")
    if int(m.group(1)) not in years:
        raise UsageError(f"{what} {text!r}: the year must be {years.start}..{years.stop - 1}")
    return date(int(m.group(1)), int(m.group(2)), 1)


def fmt(d: date) -> str:
    """The month of `d` as 'YYYY-MM'."""
    return f"{d.year:04d}-{d.month:02d}"


def index(d: date) -> int:
    return d.year * 12 + d.month - 1


def from_index(mi: int) -> date:
    return date(mi // 12, mi % 12 + 1, 1)


def add(d: date, n: int) -> date:
    """The first day of the month `n` months after the month of `d`."""
    return from_index(index(d) + n)


def last_day(d: date) -> date:
    """The last day of the month of `d`."""
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def span(first: date, last: date) -> list[date]:
    """The months first..last (inclusive), ascending."""
    return [from_index(i) for i in range(index(first), index(last) + 1)]
