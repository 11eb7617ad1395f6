"""Read back the report outputs: CSVs, the numbers in report.html, the xlsx cells."""
from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from pathlib import Path

COUNT_COLUMNS = {"numerator", "denominator", "n", "cancers", "rows", "n_before", "n_excluded",
                 "n_after"}
DERIVED_COLUMNS = {"ratio", "yield", "ci_low", "ci_high"}


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


class Cells(HTMLParser):
    """Collects (tag, class, data-src, text) of every td and headline value."""

    def __init__(self):
        super().__init__()
        self.cells, self._cur, self.tags = [], None, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "td" or (tag == "div" and "data-src" in a):
            kinds = [c for c in (a.get("class") or "").split() if c in ("count", "num", "pct", "sup", "txt")]
            self._cur = [tag, kinds[0] if kinds else "", a.get("data-src", ""), ""]

    def handle_data(self, data):
        if self._cur is not None:
            self._cur[3] += data

    def handle_endtag(self, tag):
        if self._cur is not None and tag == self._cur[0]:
            self.cells.append(tuple(self._cur))
            self._cur = None


def html_cells(path: Path) -> Cells:
    p = Cells()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def parse_number(text: str, lang: str) -> float:
    s = text.replace("\u00a0", "").replace("%", "").strip()
    s = s.replace(".", "").replace(",", ".") if lang == "sv" and "," in s else s
    if lang == "en":
        s = s.replace(",", "")
    return float(s)


def decimals(text: str, lang: str) -> int:
    s = text.replace("\u00a0", "").replace("%", "").strip()
    sep = "," if lang == "sv" else "."
    return len(s.split(sep)[1]) if sep in s else 0


NUMBER = re.compile(r"^-?[\d\u00a0,.]+(\u00a0%)?$")
