"""`ingest_extract`: one extract directory -> the canonical DuckDB tables, in one transaction.
`ingest_into` does the same inside a caller's transaction (`aos run`)."""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from pathlib import Path

import duckdb

from .. import dblock, schema
from ..dblock import configure, remove_new
from ..errors import DataRefused
from . import emptiness, load, meta, normalise, personnummer, read, reference
from .extract import extract_id, find_files, read_config, sha256_file
from .mapping import SourceMapping, load_mapping
from .summary import IngestSummary

logger = logging.getLogger(__name__)
# care_units and patients first: the orphan check of the other tables reads `patients`.
LOAD_ORDER = ("care_units", "patients")
# Columns every file of the table must have, whatever the schema's NOT NULL flags (SPEC §1).


def today() -> dt.date:
    return dt.date.today()


def _say(progress: bool):
    return logger.info if progress else None


# `aos ingest`'s DuckDB memory when AOS_MEMORY_LIMIT is not set: DuckDB fills what it may with
# cached blocks, and 3GB keeps the process under 4 GB (a 1M-patient extract spills nothing).
INGEST_MEMORY_LIMIT = "3GB"


def ingest_into(con, extract_dir, db_path, mapping=None, progress: bool = True,
                accept_empty=(), accept_quarantine=()) -> IngestSummary:
    """Validate and load `extract_dir` on `con` inside the caller's open transaction (no
    BEGIN/COMMIT here: `aos run` commits ingest and cohort together). Raises DataRefused for
    a file-level problem; the caller rolls back.
    `accept_empty` (required table names) / `accept_quarantine` (file names): see emptiness.py."""
    extract_dir = Path(extract_dir)
    if not isinstance(mapping, SourceMapping):
        mapping = load_mapping(mapping)
    say = _say(progress)
    cfg = read_config(extract_dir, mapping)
    files = find_files(extract_dir, mapping)
    for f in files:
        f.sha256 = sha256_file(f.path)
    eid = extract_id(files, cfg)
    summary = IngestSummary(eid, str(extract_dir), str(db_path))
    summary.accept = (tuple(accept_empty or ()), tuple(accept_quarantine or ()))
    _ingest(con, extract_dir, files, cfg, mapping, eid, summary, say)
    return summary


def ingest_extract(extract_dir, db_path, mapping=None, progress: bool = True,
                   accept_empty=(), accept_quarantine=()) -> IngestSummary:
    """Validate and load `extract_dir` into the DuckDB database `db_path`, in one transaction.

    `mapping`: a SourceMapping, a path to a mapping TOML, or None. Raises DataRefused for a
    file-level problem; the database is then left exactly as it was (see `in_transaction`).
    """
    return in_transaction(db_path, lambda con: ingest_into(
        con, extract_dir, db_path, mapping, progress, accept_empty, accept_quarantine),
        memory_limit=INGEST_MEMORY_LIMIT)


def in_transaction(db_path, work, memory_limit: str = "6GB"):
    """Run `work(con)` -> summary on `db_path` in one transaction, holding the database's writer
    lock (pipeline.dblock; busy -> exit 4). Commits unless `summary.skipped_all`; on any failure
    rolls back, and a database file this call created is removed."""
    db_path = Path(db_path)
    with dblock.writer(db_path):
        created = not db_path.exists()
        con = None
        try:
            con = dblock.connect(db_path)
            dblock.check_layout(con, db_path)
            configure(con, memory_limit)
            con.execute("BEGIN TRANSACTION")
            summary = work(con)
            con.execute("ROLLBACK" if summary.skipped_all else "COMMIT")
        except BaseException:
            if con is not None:
                _rollback(con)
                con.close()
            if created:
                remove_new(db_path)
            raise
        con.close()
    return summary


def _rollback(con) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass


def _ingest(con, extract_dir, files, cfg, mapping, eid, summary, say) -> None:
    schema.create_all(con)
    reference.install(con)
    done = set(con.execute("SELECT table_name, sha256 FROM ingest_files").fetchall())
    results = {f.table: load.FileResult(f.table, f.name, f.sha256, skipped=(f.table, f.sha256) in done)
               for f in files}
    summary.files = list(results.values())
    todo = [f for f in files if not results[f.table].skipped]
    if not todo:
        summary.skipped_all = True
        return
    now = today()
    parsed: dict[str, str] = {}  # table -> parsed TEMP table
    views: dict[str, tuple] = {}  # table -> (Parquet file read in place, its table), parsed when loaded

    def parse(t: schema.Table, staged: read.Staged, clock: float, wrap=None) -> None:
        parsed[t.name] = f"aos_p_{t.name}"
        with _reading(staged):
            con.execute(normalise.parse_sql(t, staged.stg, staged.columns, mapping.values(t.name),
                                            parsed[t.name], staged.types, wrap))
        con.execute(f"DROP {'VIEW' if staged.view else 'TABLE'} {staged.stg}")
        _lap(summary, f"normalise {t.name}", clock)

    def stage(f, keep_view: bool, wrap=None) -> None:
        """Read `f` (a Parquet file in place: a view) and check it for personnummer; a CSV file
        (or a view unless `keep_view`) is parsed at once (`wrap`: see normalise.parse_sql)."""
        t = schema.table(f.table)
        if say:
            say(f"reading {f.name} ...")
        clock = time.perf_counter()
        staged = read.stage_file(con, t.name, f.path, f"aos_stg_{t.name}", mapping.renames(t.name),
                                 cfg.csv_hints, say, check=lambda names, t=t, f=f: _check_columns(t, f.name, names))
        results[t.name].rows_read = staged.rows
        results[t.name].format = staged.detail
        clock = _lap(summary, f"read {t.name}", clock)
        with _reading(staged):
            personnummer.check_staged(con, staged.stg, staged.columns, f.name, staged.types)
        clock = _lap(summary, f"personnummer check {t.name}", clock)
        if staged.view and keep_view:  # nothing copied yet: parsed when it is loaded
            views[t.name] = (t, staged)
        else:
            if say and wrap:  # declared dates: parsed and loaded now
                say(f"validating and loading {t.name} ...")
            parse(t, staged, clock, wrap)

    def load_one(name: str, extract_date, checked: bool = False) -> None:
        if name in views:
            parse(*views.pop(name), time.perf_counter())
        clock = time.perf_counter()
        load.finalise(con, schema.table(name), parsed.pop(name), results[name], eid, extract_date, now,
                      checked)
        _lap(summary, f"validate and load {name}", clock)

    by_size = sorted(todo, key=lambda f: f.path.stat().st_size)
    need = _dates_need(cfg.dates)
    if need:  # dates derived from the parsed event tables: every file is read before any load
        for f in by_size:
            stage(f, keep_view=True)
        for name in need:
            if name in views:
                parse(*views.pop(name), time.perf_counter())
        dates, derived = meta.resolve_dates(con, cfg.dates, parsed, now)
        for name in _load_order([*parsed, *views]):
            if say:
                say(f"validating and loading {name} ...")
            load_one(name, dates["extract_date"])
    else:  # declared dates: one file at a time, read, parsed and loaded (one parsed table alive)
        dates, derived = meta.resolve_dates(con, cfg.dates, {}, now)
        files = {f.table: f for f in by_size}
        for name in _load_order(list(files)):  # the parse also applies the late checks
            t, ed = schema.table(name), dates["extract_date"]
            stage(files[name], keep_view=False,
                  wrap=lambda sel, t=t, ed=ed: load.with_late_checks(t, sel, ed, now))
            load_one(name, ed, checked=True)
    emptiness.check(con, eid, summary, *summary.accept)
    stamp = dt.datetime.now()
    for r in results.values():
        if not r.skipped:
            con.execute("INSERT INTO ingest_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [eid, r.table, r.source_file, r.sha256, r.rows_read, r.rows_loaded,
                         r.rows_already_present, r.rows_quarantined, stamp])
    con.execute("INSERT INTO extract_meta VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [eid, str(extract_dir), cfg.region, dates["extract_date"], dates["data_complete_until"],
                 dates["cancer_register_complete_until"], ",".join(derived), stamp])
    summary.meta = {"region": cfg.region, **dates, "derived_fields": derived}
    summary.quarantine_by_column = con.execute(
        "SELECT table_name, column_name, count(*) FROM quarantine WHERE extract_id = ? "
        "GROUP BY ALL ORDER BY 3 DESC, 1, 2 LIMIT 20", [eid]).fetchall()


def _load_order(names: list[str]) -> list[str]:
    return [n for n in LOAD_ORDER if n in names] + [n for n in names if n not in LOAD_ORDER]


def _dates_need(declared: dict) -> list[str]:
    """Tables whose parsed rows meta.resolve_dates reads: the event tables when the extract date
    is derived, the cancer diagnoses when the register date is."""
    if declared.get("extract_date") is None:
        return list(meta.EVENT_DATES)
    return ["cancer_diagnoses"] if declared.get("cancer_register_complete_until") is None else []


@contextlib.contextmanager
def _reading(staged: read.Staged):
    """A Parquet file read in place (a view) is read by the queries: its read errors refuse it."""
    try:
        yield
    except duckdb.Error as exc:  # a bad page: IO / invalid input, or a bare Error (Thrift)
        if not staged.view or not (type(exc) is duckdb.Error or isinstance(
                exc, (duckdb.IOException, duckdb.InvalidInputException))):
            raise
        raise DataRefused(f"{staged.source_file}: unreadable Parquet file ({type(exc).__name__})") from None


def _lap(summary: IngestSummary, step: str, since: float) -> float:
    now = time.perf_counter()
    summary.timings[step] = round(now - since, 3)
    return now


def _check_columns(t: schema.Table, source_file: str, names: list[str]) -> None:
    """Refuse a file that lacks a required column of its table."""
    have = set(names)
    for col in t.required_columns:
        if col not in have:
            raise DataRefused(f"{source_file}: required column {col} is missing (table {t.name}; "
                              f"columns found: {', '.join(names) or 'none'})")
    if t.name == "patients" and not have & {"birth_year", "birth_date"}:
        raise DataRefused(f"{source_file}: required column birth_year (or birth_date) is missing")

