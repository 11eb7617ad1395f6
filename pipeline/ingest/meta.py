"""Extract facts: the dates of an extract (declared or derived) and what later steps ask about it."""
from __future__ import annotations

import datetime as dt

from .. import months
from ..errors import DataRefused, UsageError
from ..schema import EXTRACT_TABLES

EVENT_DATES = {  # table -> event date column used to derive the extract date
    "contacts": "contact_date", "prescriptions": "prescribed_date", "lab_results": "sample_date",
    "diagnoses": "diagnosis_date", "observations": "obs_date", "referrals": "event_date",
    "cancer_diagnoses": "diagnosis_date",
}


def last_complete_month_end(d: dt.date) -> dt.date:
    """Last day of the last complete calendar month on or before `d`."""
    return d if d == months.last_day(d) else d.replace(day=1) - dt.timedelta(days=1)


def max_valid_date(con, parsed: dict[str, str], tables: list[str], today: dt.date) -> dt.date | None:
    """Latest valid event date (not after today) over the parsed tables among `tables`."""
    parts = [f"SELECT max({EVENT_DATES[t]}) AS d FROM {parsed[t]} WHERE _reason IS NULL "
             f"AND {EVENT_DATES[t]} <= DATE '{today}'" for t in tables if t in parsed]
    if not parts:
        return None
    return con.execute(f"SELECT max(d) FROM ({' UNION ALL '.join(parts)})").fetchone()[0]


def resolve_dates(con, declared: dict, parsed: dict[str, str], today: dt.date) -> tuple[dict, list[str]]:
    """(dates, derived field names): declared dates win; the rest are derived from the data.
    Refuses declared dates that contradict each other or today (`check_declared`)."""
    dates = {k: declared.get(k) for k in ("extract_date", "data_complete_until",
                                          "cancer_register_complete_until")}
    derived = []
    if dates["extract_date"] is None:
        dates["extract_date"] = max_valid_date(con, parsed, list(EVENT_DATES), today)
        if dates["extract_date"] is None:  # every date after today: date-shifted research data
            dates["extract_date"] = max_valid_date(con, parsed, list(EVENT_DATES), dt.date.max)
        derived.append("extract_date")
    check_declared(dates, derived, today)
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


def check_declared(dates: dict, derived: list[str], today: dt.date) -> None:
    """extract.toml: a declared extract_date is not after today (derived dates may be, e.g. in
    date-shifted research data); the completeness dates are not after the extract date."""
    ed = dates["extract_date"]
    if "extract_date" not in derived and ed is not None and ed > today:
        raise DataRefused("extract.toml: extract_date: is after today; an extract cannot be "
                          "taken in the future (fix the date, or leave it out to derive it)")
    for key in ("data_complete_until", "cancer_register_complete_until"):
        d = dates[key]
        if d is not None and ed is not None and d > ed:
            how = "derived from the data" if "extract_date" in derived else "declared"
            raise DataRefused(f"extract.toml: {key}: is after the extract_date ({how}); data cannot "
                              "be complete beyond the day the extract was taken")


def _month(mi: int) -> str:
    return months.fmt(months.from_index(mi))


def check_months(con, first_mi: int, last_mi: int, first_data_mi: int | None, window_months: int) -> None:
    """Refuse (exit 2) months the data cannot answer: a month whose first day is after the
    extract's data_complete_until, or a first month more than `window_months` (baseline +
    recent) before the first month with data. Month index = year * 12 + month - 1."""
    dcu = extract_meta(con)["data_complete_until"]
    if dcu is not None and dt.date(last_mi // 12, last_mi % 12 + 1, 1) > dcu:
        raise UsageError(f"month {_month(last_mi)} starts after the extract's data_complete_until "
                         f"{dcu}: its data are not complete; choose a month up to {dcu:%Y-%m}")
    if first_data_mi is not None and first_mi < first_data_mi - window_months:
        raise UsageError(f"month {_month(first_mi)} is more than {window_months} months before the "
                         f"first month with data ({_month(first_data_mi)}): nothing to compute")


def _table_exists(con, name: str) -> bool:
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary",
                       [name]).fetchall()[0][0] > 0


def present_tables(con) -> set[str]:
    """Extract tables that were ingested: the canonical tables that have an `ingest_files` row
    or hold rows. The one answer to "which tables were ingested" for every module."""
    existing = {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND schema_name = 'main'").fetchall()}
    ingested = set()
    if "ingest_files" in existing:
        ingested = {r[0] for r in con.execute("SELECT DISTINCT table_name FROM ingest_files").fetchall()}
    return {t.name for t in EXTRACT_TABLES if t.name in existing and (
        t.name in ingested or con.execute(f"SELECT count(*) > 0 FROM (SELECT 1 FROM {t.name} LIMIT 1)").fetchone()[0])}


def extract_meta(con) -> dict:
    """The latest ingested extract: extract_id, region, extract_date, data_complete_until,
    cancer_register_complete_until, derived_fields (list of names). Values are None when no
    extract has been ingested."""
    keys = ("extract_id", "extract_dir", "region", "extract_date", "data_complete_until",
            "cancer_register_complete_until", "derived_fields", "ingested_at")
    row = None
    if _table_exists(con, "extract_meta"):
        row = next(iter(con.execute(f"SELECT {', '.join(keys)} FROM extract_meta "
                                    "ORDER BY ingested_at DESC, extract_date DESC NULLS LAST LIMIT 1").fetchall()), None)
    out = dict(zip(keys, row or (None,) * len(keys)))
    out["derived_fields"] = [f for f in (out["derived_fields"] or "").split(",") if f]
    return out
