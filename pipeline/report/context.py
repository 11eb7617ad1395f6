"""What every report section needs: the connection, the months, parameters, extract facts."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .. import months
from .config import Config

REGION = ("region", "ALL")


ym = months.fmt
add_months = months.add


def period(first: date, last: date) -> str:
    """A pooled period of months, always as a range (distinct from a single month)."""
    return f"{ym(first)}/{ym(last)}"


@dataclass
class Context:
    con: object
    month: date  # first day of the report month M
    months: list[date]  # computed months with a cohort, ascending, ending with M (see shown)
    cfg: Config
    meta: dict  # extract_meta of the latest extract ({} when none)
    present: set[str]  # optional input tables that were ingested
    notes: list[str] = field(default_factory=list)  # message keys of caveats to show
    suppression: bool = True
    cells: object = None  # the disclosed cell registry (pipeline.disclosure.Cells), for tests
    shown: date | None = None  # first month of the trend window; earlier months feed only the
    # rolling pools and their previous pools, their own cells are never published

    @property
    def shown_first(self) -> date:
        return self.shown or self.months[0]

    @property
    def first(self) -> date:
        return self.months[0]

    @property
    def data_complete(self) -> date | None:
        return self.meta.get("data_complete_until")

    @property
    def cancer_complete(self) -> date | None:
        return self.meta.get("cancer_register_complete_until")
