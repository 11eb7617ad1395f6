"""Loud emptiness (issue 9): an empty required table, or a file with at least half of its rows
quarantined for one column, refuses the ingest unless the user accepts it by name."""
from __future__ import annotations

from dataclasses import dataclass

from .. import schema
from ..errors import DataRefused, UsageError

SHARE = 0.5  # quarantined rows / rows read, for one column, that refuses a file


@dataclass
class HighQuarantine:
    source_file: str
    table: str
    column: str
    rows: int
    rows_read: int
    reason: str  # the most frequent reason category (no cell value)

    @property
    def percent(self) -> float:
        return 100.0 * self.rows / self.rows_read


def check(con, extract_id: str, summary, accept_empty=(), accept_quarantine=()) -> None:
    """Refuse (DataRefused) what was not accepted; record what was in `summary`."""
    files = [f for f in summary.files if not f.skipped]
    unknown = sorted(set(accept_quarantine) - {f.source_file for f in summary.files})
    if unknown:
        raise UsageError(f"--accept-quarantine {unknown[0]}: no such file in the extract "
                         f"(files: {', '.join(f.source_file for f in summary.files)})")
    bad_tables = sorted(set(accept_empty) - set(schema.REQUIRED_TABLES))
    if bad_tables:
        raise UsageError(f"--accept-empty {bad_tables[0]}: not a required table "
                         f"({', '.join(schema.REQUIRED_TABLES)})")
    for f in files:
        if f.table in schema.REQUIRED_TABLES and f.rows_read == 0:
            if f.table not in accept_empty:
                raise DataRefused(f"{f.source_file}: required table {f.table} has no rows; an empty "
                                  f"export would silently drop patients from the review list. Fix the "
                                  f"extract, or accept it with --accept-empty {f.table}")
            summary.accepted_empty.append(f.table)
    read = {f.source_file: f.rows_read for f in files}
    for source_file, table, column, n, reason in con.execute(
            "SELECT source_file, table_name, column_name, sum(n)::BIGINT, "
            "first(cat ORDER BY n DESC, cat) FROM ("
            " SELECT source_file, table_name, column_name, aos_reason_category(reason) AS cat, count(*) AS n"
            " FROM quarantine WHERE extract_id = ? AND column_name IS NOT NULL GROUP BY ALL)"
            " GROUP BY ALL ORDER BY 4 DESC, 1, 3", [extract_id]).fetchall():
        if source_file not in read or n < SHARE * read[source_file]:
            continue
        hq = HighQuarantine(source_file, table, column, n, read[source_file], reason)
        if source_file not in accept_quarantine:
            raise DataRefused(f"{source_file}: {hq.rows:,} of {hq.rows_read:,} rows ({hq.percent:.0f} %) "
                              f"are quarantined for column {column} (top reason: {reason}). Fix the "
                              f"extract or the source mapping, or accept the file with "
                              f"--accept-quarantine {source_file}")
        summary.high_quarantine.append(hq)
