"""Extract facts: the dates of an extract (declared or derived) and what later steps ask about it."""
from __future__ import annotations

import calendar
import datetime as dt

EVENT_DATES = {  # table -> event date column used to derive the extract date
    "contacts": "contact_date", "prescriptions": "prescribed_date", "lab_results": "sample_date",
    "diagnoses": "diagnosis_date", "observations": "obs_date", "referrals": "event_date",
    "cancer_diagnoses": "diagnosis_date",
}


def last_complete_month_end(d: dt.date) -> dt.date:
    """Last day of the last complete calendar month on or before `d`."""
    if d.day == calendar.monthrange(d.year, d.month)[1]:
        return d
    return d.replace(day=1) - dt.timedelta(days=1)


def max_valid_date(con, parsed: dict[str, str], tables: list[str], today: dt.date) -> dt.date | None:
    """Latest valid event date (not after today) over the parsed tables among `tables`."""
    parts = [f"SELECT max({EVENT_DATES[t]}) AS d FROM {parsed[t]} WHERE _reason IS NULL "
             f"AND {EVENT_DATES[t]} <= DATE '{today}'" for t in tables if t in parsed]
    if not parts:
        return None
    return con.execute(f"SELECT max(d) FROM ({' UNION ALL '.join(parts)})").fetchone()[0]


def resolve_dates(con, declared: dict, parsed: dict[str, str], today: dt.date) -> tuple[dict, list[str]]:
    """(dates, derived field names): declared dates win; the rest are derived from the data."""
    dates = {k: declared.get(k) for k in ("extract_date", "data_complete_until",
                                          "cancer_register_complete_until")}
    derived = []
    if dates["extract_date"] is None:
        dates["extract_date"] = max_valid_date(con, parsed, list(EVENT_DATES), today)
        derived.append("extract_date")
    if dates["data_complete_until"] is None:
        ed = dates["extract_date"]
        dates["data_complete_until"] = last_complete_month_end(ed) if ed else None
        derived.append("data_complete_until")
    if dates["cancer_register_complete_until"] is None:
        limit = dates["extract_date"] or today
        last_cancer = max_valid_date(con, parsed, ["cancer_diagnoses"], limit)
        dcu = dates["data_complete_until"]
        cands = [d for d in (last_cancer, dcu) if d is not None]
        dates["cancer_register_complete_until"] = (min(cands) if last_cancer else dcu) if cands else None
        derived.append("cancer_register_complete_until")
    return dates, derived


def _table_exists(con, name: str) -> bool:
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary",
                       [name]).fetchone()[0] > 0


def present_tables(con) -> set[str]:
    """Extract tables that have been ingested (have an `ingest_files` row)."""
    if not _table_exists(con, "ingest_files"):
        return set()
    return {r[0] for r in con.execute("SELECT DISTINCT table_name FROM ingest_files").fetchall()}


def extract_meta(con) -> dict:
    """The latest ingested extract: extract_id, region, extract_date, data_complete_until,
    cancer_register_complete_until, derived_fields (list of names). Values are None when no
    extract has been ingested."""
    keys = ("extract_id", "extract_dir", "region", "extract_date", "data_complete_until",
            "cancer_register_complete_until", "derived_fields", "ingested_at")
    row = None
    if _table_exists(con, "extract_meta"):
        row = con.execute(f"SELECT {', '.join(keys)} FROM extract_meta "
                          "ORDER BY ingested_at DESC, extract_date DESC NULLS LAST LIMIT 1").fetchone()
    out = dict(zip(keys, row or (None,) * len(keys)))
    out["derived_fields"] = [f for f in (out["derived_fields"] or "").split(",") if f]
    return out
