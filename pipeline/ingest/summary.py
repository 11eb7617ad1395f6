"""The result of an ingest and its printed summary table."""
from __future__ import annotations

from dataclasses import dataclass, field

from .emptiness import HighQuarantine
from .load import FileResult


@dataclass
class IngestSummary:
    extract_id: str
    extract_dir: str
    db_path: str
    files: list[FileResult] = field(default_factory=list)
    meta: dict = field(default_factory=dict)  # region, dates, derived_fields
    quarantine_by_column: list[tuple[str, str, int]] = field(default_factory=list)
    skipped_all: bool = False  # every file had been ingested before: nothing changed
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step
    accepted_empty: list[str] = field(default_factory=list)  # required tables with 0 rows (--accept-empty)
    high_quarantine: list[HighQuarantine] = field(default_factory=list)  # accepted (--accept-quarantine)
    accept: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # (--accept-empty, --accept-quarantine)

    def file(self, table: str) -> FileResult:
        return next(f for f in self.files if f.table == table)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    def format(self) -> str:
        head = ("table", "file", "format", "read", "loaded", "already", "quarantined", "note")
        rows = [head]
        for f in self.files:
            note = "skipped: identical file already ingested" if f.skipped else ""
            if f.unknown_analytes:
                names = ", ".join(f"{k} ({v:,})" for k, v in list(f.unknown_analytes.items())[:5])
                note = f"unknown analytes loaded as given: {names}"
            if f.unknown_sex:
                note = f"{f.unknown_sex:,} with sex unknown (kept; esr_high and the Hb sex limit not evaluable)"
            nums = ("", "", "", "") if f.skipped else (
                f"{f.rows_read:,}", f"{f.rows_loaded:,}", f"{f.rows_already_present:,}", f"{f.rows_quarantined:,}")
            rows.append((f.table, f.source_file, f.format, *nums, note))
        widths = [max(len(r[i]) for r in rows) for i in range(len(head) - 1)]
        lines = []
        for r in rows:
            cells = [c.rjust(w) if 3 <= i <= 6 else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))]
            lines.append("  ".join(cells + [r[-1]]).rstrip())
        lines.insert(1, "-" * len(lines[0]))
        out = [f"extract {self.extract_id} from {self.extract_dir} -> {self.db_path}"]
        if self.skipped_all:
            out.append("every file was already ingested: nothing changed")
        out += lines
        derived = set(self.meta.get("derived_fields", []))
        if self.meta:
            out.append(f"region: {self.meta.get('region') or '(not declared)'}")
            for k in ("extract_date", "data_complete_until", "cancer_register_complete_until"):
                how = "derived from the data" if k in derived else "declared in extract.toml"
                out.append(f"{k}: {self.meta.get(k)} ({how})")
        for t in self.accepted_empty:
            out.append(f"ACCEPTED EMPTY: required table {t} has no rows (--accept-empty)")
        for h in self.high_quarantine:
            out.append(f"ACCEPTED HIGH QUARANTINE: {h.source_file}: {h.rows:,} of {h.rows_read:,} rows "
                       f"({h.percent:.0f} %) quarantined for column {h.column} (top reason: {h.reason})")
        if self.quarantine_by_column:
            out.append("quarantined rows by column (see table quarantine):")
            out += [f"  {t}.{c or '(whole row)'}: {n:,}" for t, c, n in self.quarantine_by_column]
        return "\n".join(out)
