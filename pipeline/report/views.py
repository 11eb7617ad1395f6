"""Tables shown in report.html and their links to the releasable CSV cells.

Every number cell carries the CSV it came from (file, data row, column), so that tests can
check that the report shows exactly the releasable numbers.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .messages import Messages

COUNT_COLUMNS = {"numerator", "denominator", "n", "cancers", "rows", "n_before", "n_excluded",
                 "n_after", "value"}


@dataclass
class Cell:
    text: str
    cls: str = "txt"  # txt | count | num | pct | sup
    src: str = ""  # "file.csv:row:column" (row = 1-based data row)


@dataclass
class View:
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    note: str = ""


class Builder:
    def __init__(self, tables: dict[str, pd.DataFrame], msg: Messages) -> None:
        self.t, self.msg = tables, msg

    def num(self, name: str, idx, col: str, decimals: int = 0, pct: bool = False) -> Cell:
        if idx is None:
            return Cell("–")
        df = self.t[name]
        row = int(df.index.get_loc(idx)) + 1
        v = df.at[idx, col]
        src = f"{name}.csv:{row}:{col}"
        if v is None or pd.isna(v):
            if bool(df.at[idx, "suppressed"]) if "suppressed" in df.columns else False:
                return Cell(self.msg("suppressed_mark"), "sup", src)
            return Cell("–", "txt", src)
        if pct:
            return Cell(self.msg.number(float(v) * 100, decimals) + "\u00a0%", "pct", src)
        kind = "count" if col in COUNT_COLUMNS and decimals == 0 else "num"
        return Cell(self.msg.number(float(v), decimals), kind, src)

    def text(self, s) -> Cell:
        return Cell("" if s is None or (isinstance(s, float) and pd.isna(s)) else str(s))

    def view(self, title_key: str, column_keys: list[str], note_key: str = "", **fmt) -> View:
        m = self.msg
        return View(m(title_key, **fmt), [m(k) for k in column_keys],
                    note=m(note_key, **fmt) if note_key else "")

    # -- measures -----------------------------------------------------------------------
    def measure_idx(self, measure: str, month: str, gt: str = "region", g: str = "ALL"):
        df = self.t["measures"]
        hit = df.index[(df.measure == measure) & (df.month == month) & (df.group_type == gt)
                       & (df.group == g)]
        return hit[0] if len(hit) else None

    def measure_cells(self, measure, month, gt="region", g="ALL", num=True, ratio_dec=1,
                      pct=False) -> list[Cell]:
        i = self.measure_idx(measure, month, gt, g)
        if i is None:
            return [Cell("–")] * (2 if num else 1)
        out = [self.num("measures", i, "numerator")] if num else []
        return out + [self.num("measures", i, "ratio", ratio_dec, pct=pct)]
