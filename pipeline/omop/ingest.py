"""`ingest_omop`: an OMOP CDM source -> the canonical DuckDB tables, in one transaction (SPEC §8).

The OMOP tables are staged as text, checked for personnummer, translated to canonical rows
(translate.py) and then parsed, quarantined and loaded by the ordinary ingest steps
(pipeline.ingest.normalise / load / meta), one part per (canonical table, OMOP table), so that
`source_file` names the OMOP table and `source_row` its row. Per OMOP table:
rows read = rows loaded + already present + quarantined + not used (by reason).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


from .. import schema
from ..errors import DataRefused, UsageError
from ..ingest import load, meta, normalise, personnummer, reference
from ..ingest.extract import ExtractConfig, read_config
from ..ingest.mapping import SourceMapping
from ..ingest.reference import ident, quote
from ..ingest.run import in_transaction
from ..ingest.summary import IngestSummary
from . import maps, translate
from .source import CLINICAL, VOCABULARY, OmopSource, attach, fingerprint, open_source, stage

# OMOP research data may be date-shifted into the future (MIMIC: 2110-2202): when every date is
# after today, the extract date is derived without that bound (declared dates keep it).
NO_TODAY = dt.date(9999, 12, 31)
CANCER_SOURCE = ("recorded ICD-10 diagnoses C00-C97 in the OMOP data (condition_occurrence, "
                 "observation), not a cancer register")
DDL = (
    "CREATE TABLE IF NOT EXISTS omop_extracts (extract_id VARCHAR, source VARCHAR, db_schema VARCHAR, "
    "cancer_source VARCHAR, ingested_at TIMESTAMP)",
    # per OMOP table: rows read, and where they went (target table and outcome, or not used by reason)
    "CREATE TABLE IF NOT EXISTS omop_reconciliation (extract_id VARCHAR, source_table VARCHAR, "
    "source_file VARCHAR, outcome VARCHAR, target_table VARCHAR, reason VARCHAR, rows BIGINT)",
)
LOAD_ORDER = ("care_units", "patients")


@dataclass
class OmopSummary(IngestSummary):
    # (source_table, source_file, outcome, target_table, reason, rows)
    omop_rows: list[tuple] = field(default_factory=list)

    def table_rows(self) -> dict[str, dict]:
        """Per OMOP table: read, loaded, already, quarantined, not_used, feeds, reasons."""
        out: dict[str, dict] = {}
        for tbl, _f, outcome, target, reason, n in self.omop_rows:
            d = out.setdefault(tbl, {"read": 0, "loaded": 0, "already": 0, "quarantined": 0,
                                     "not_used": 0, "feeds": 0, "copies": 0, "reasons": {}})
            if outcome == "not_used":
                d["reasons"][reason] = n
            if target == "cancer_diagnoses" and outcome != "read":
                d["copies"] += n  # the same rows also went to diagnoses
            else:
                d[outcome] += n
        return out

    def format(self) -> str:
        lines = [super().format(), "", "OMOP tables (read = loaded + already + quarantined + not used + feeds):"]
        head = ("OMOP table", "read", "loaded", "already", "quarantined", "not used", "feeds patients")
        rows = [head] + [(t, *(f"{d[k]:,}" for k in ("read", "loaded", "already", "quarantined",
                                                      "not_used", "feeds")))
                         for t, d in self.table_rows().items()]
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                  for r in rows]
        reasons = [(t, r, n) for t, d in self.table_rows().items() for r, n in d["reasons"].items()]
        if reasons:
            lines.append("not used, by table and reason:")
            lines += [f"  {t}: {r}: {n:,}" for t, r, n in reasons]
        lines.append(f"cancer outcome: {CANCER_SOURCE}")
        return "\n".join(lines)

logger = logging.getLogger(__name__)


def _say(progress: bool):
    return logger.info if progress else None


def read_omop_config(src: OmopSource, extract_toml=None) -> ExtractConfig:
    """`--extract-toml FILE`, else an extract.toml beside the tables (or the database file)."""
    if extract_toml is None:
        base = Path(src.location)
        folder = base if base.is_dir() else base.parent
        return read_config(folder, SourceMapping())
    path = Path(extract_toml)
    if not path.is_file():
        raise UsageError(f"--extract-toml {extract_toml}: no such file")
    with tempfile.TemporaryDirectory() as tmp:  # read_config reads <dir>/extract.toml
        shutil.copyfile(path, Path(tmp) / "extract.toml")
        return read_config(Path(tmp), SourceMapping())


def ingest_omop(location, db_path, db_schema: str = "main", extract_toml=None,
                progress: bool = True) -> OmopSummary:
    """Validate and load the OMOP CDM source `location` into the DuckDB database `db_path`,
    in one transaction under the database's writer lock (as `aos ingest`). Raises DataRefused
    for a file-level problem; the database is then left as it was."""
    return in_transaction(db_path, lambda con: ingest_omop_into(
        con, location, db_path, db_schema, extract_toml, progress))


def ingest_omop_into(con, location, db_path, db_schema: str = "main", extract_toml=None,
                     progress: bool = True) -> OmopSummary:
    """The OMOP ingest on `con`, inside the caller's open transaction (no commit here)."""
    src = open_source(location, db_schema)
    cfg = read_omop_config(src, extract_toml)
    summary = OmopSummary("", str(location), str(db_path))
    attach(con, src)
    _ingest(con, src, cfg, summary, _say(progress))
    return summary


def _ingest(con, src: OmopSource, cfg: ExtractConfig, summary: OmopSummary, say) -> None:
    schema.create_all(con)
    reference.install(con)
    for ddl in DDL:
        con.execute(ddl)
    maps.install(con, src)
    used = [n for n in CLINICAL if src.has(n)]
    shas = {n: fingerprint(con, src, n) for n in used + [v for v in VOCABULARY if src.has(v)]}
    common = hashlib.sha256("".join([maps.digest(), cfg.toml_bytes.hex()] +
                                    [shas[v] for v in VOCABULARY if v in shas]).encode()).hexdigest()
    eid = hashlib.sha256("".join([common] + [f"{n}:{shas[n]}" for n in used]).encode()).hexdigest()[:16]
    summary.extract_id = eid
    if con.execute("SELECT count(*) FROM extract_meta WHERE extract_id = ?", [eid]).fetchone()[0]:
        summary.skipped_all = True
        return
    cols = {}
    for n in used:
        if say:
            say(f"reading {src.tables[n].label} ...")
        stg, cols[n], rows = stage(con, src, n, cfg.csv_hints, say)
        missing = [c for c in translate.REQUIRED[n] if c not in cols[n]]
        if missing:
            raise DataRefused(f"{src.tables[n].label}: required OMOP column {missing[0]} is missing "
                              f"(table {n})")
        personnummer.check_staged(con, stg, cols[n], src.tables[n].label)
        summary.omop_rows.append((n, src.tables[n].label, "read", None, None, rows))
    for sql in translate.feeds_sql(cols):
        con.execute(sql)
    parts = _parts(con, src, cols, eid, common, shas)
    views = {}
    for target in {t for t, _, _ in parts}:
        ps = [p for t, p, _ in parts if t == target]
        views[target] = f"aos_pv_{target}"
        con.execute(f"CREATE OR REPLACE TEMP VIEW {views[target]} AS "
                    + " UNION ALL BY NAME ".join(f"SELECT * FROM {p}" for p in ps))
    today = dt.date.today()
    dates, derived = meta.resolve_dates(con, cfg.dates, views, today)
    if dates["extract_date"] is None:  # every date after today: date-shifted data (MIMIC)
        today = NO_TODAY
        dates, derived = meta.resolve_dates(con, cfg.dates, views, today)
    if cfg.dates.get("cancer_register_complete_until") is None:
        dates["cancer_register_complete_until"] = dates["extract_date"]  # the last date with data
    for v in views.values():
        con.execute(f"DROP VIEW {v}")
    rank = {t: i for i, t in enumerate(LOAD_ORDER)}
    for target, p, res in sorted(parts, key=lambda x: rank.get(x[0], len(rank))):
        if say:
            say(f"validating and loading {target} from {res.source_file} ...")
        load.finalise(con, schema.table(target), p, res, eid, dates["extract_date"], today)
    stamp = dt.datetime.now()
    summary.files = [res for _, _, res in parts]
    for r in summary.files:
        con.execute("INSERT INTO ingest_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [eid, r.table, r.source_file, r.sha256, r.rows_read, r.rows_loaded,
                     r.rows_already_present, r.rows_quarantined, stamp])
        for outcome, n in (("loaded", r.rows_loaded), ("already", r.rows_already_present),
                           ("quarantined", r.rows_quarantined)):
            summary.omop_rows.append((_table_of(src, r.source_file), r.source_file, outcome, r.table, None, n))
    _not_used(con, src, cols, summary)
    con.executemany("INSERT INTO omop_reconciliation VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(eid, *row) for row in summary.omop_rows])
    _check_reconciles(summary)
    con.execute("INSERT INTO extract_meta VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [eid, src.location, cfg.region, dates["extract_date"], dates["data_complete_until"],
                 dates["cancer_register_complete_until"], ",".join(derived), stamp])
    con.execute("INSERT INTO omop_extracts VALUES (?, ?, ?, ?, ?)",
                [eid, src.location, src.db_schema if src.db_path else None, CANCER_SOURCE, stamp])
    summary.meta = {"region": cfg.region, **dates, "derived_fields": derived}
    summary.quarantine_by_column = con.execute(
        "SELECT table_name, column_name, count(*) FROM quarantine WHERE extract_id = ? "
        "GROUP BY ALL ORDER BY 3 DESC, 1, 2 LIMIT 20", [eid]).fetchall()


def _table_of(src: OmopSource, label: str) -> str:
    return next(n for n, t in src.tables.items() if t.label == label)


def _parts(con, src: OmopSource, cols: dict, eid: str, common: str, shas: dict) -> list:
    """Translate each OMOP table and parse every non-empty (canonical table, OMOP table) part:
    [(canonical table, parsed TEMP table, FileResult)]."""
    out = []
    for n in cols:
        if n not in translate.PARTS:
            continue
        con.execute(f"CREATE OR REPLACE TEMP TABLE omop_c_{n} AS {translate.classify_sql(n, cols[n])}")
        feeds = [f for f in translate.FEEDS if f in cols] if n == "person" else []
        sha = hashlib.sha256("".join([common, shas[n]] + [shas[f] for f in feeds]).encode()).hexdigest()
        label = src.tables[n].label
        for target, colmap in translate.PARTS[n].items():
            cond = "_target = 'diagnoses' AND _cancer" if target == "cancer_diagnoses" else f"_target = '{target}'"
            n_use, n_quar = con.execute(
                f"SELECT count(*) FILTER (WHERE _outcome = 'use'), count(*) FILTER (WHERE _outcome = 'quarantine') "
                f"FROM omop_c_{n} WHERE {cond}").fetchone()
            if n_use + n_quar == 0:
                continue  # nothing of this table: the canonical table stays "not ingested"
            con.execute(f"INSERT INTO quarantine SELECT {quote(target)}, {quote(label)}, _row, _col, _reason, "
                        f"{quote(eid)} FROM omop_c_{n} WHERE {cond} AND _outcome = 'quarantine'")
            stg, p = f"aos_stg_{target}__{n}", f"aos_p_{target}__{n}"
            sel = ", ".join(f"{ident(v)} AS {ident(k)}" for k, v in colmap.items())
            con.execute(f"CREATE OR REPLACE TEMP TABLE {stg} AS SELECT _row, {sel} FROM omop_c_{n} "
                        f"WHERE {cond} AND _outcome = 'use'")
            t = schema.table(target)
            con.execute(normalise.parse_sql(t, stg, list(colmap), {}, p))
            con.execute(f"DROP TABLE {stg}")
            res = load.FileResult(target, label, sha, format=f"OMOP {n}", rows_read=n_use + n_quar)
            out.append((target, p, res))
    return out


def _not_used(con, src: OmopSource, cols: dict, summary: OmopSummary) -> None:
    """Rows not used, by table and reason, and the rows that feed patients columns."""
    for n in cols:
        label = src.tables[n].label
        if n in translate.PARTS:
            rows = con.execute(f"SELECT _reason, count(*) FROM omop_c_{n} WHERE _outcome = 'not_used' "
                               "GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
        elif n in translate.FEEDS:
            rows = con.execute(f"SELECT _reason, count(*) FROM omop_c_{n} GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
            summary.omop_rows += [(n, label, "feeds", translate.FEEDS[n], None, k) for r, k in rows if r is None]
            rows = [(r, k) for r, k in rows if r is not None]
        summary.omop_rows += [(n, label, "not_used", None, r, k) for r, k in rows]


def _check_reconciles(summary: OmopSummary) -> None:
    for t, d in summary.table_rows().items():
        rest = d["loaded"] + d["already"] + d["quarantined"] + d["not_used"] + d["feeds"]
        if d["read"] != rest:
            raise AssertionError(f"OMOP table {t}: {d['read']} rows read but {rest} accounted for")


def cancer_source(con) -> str | None:
    """The cancer-outcome sentence when the latest ingested extract is an OMOP one, else None."""
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'omop_extracts' "
                         "AND NOT temporary").fetchone()[0]
    if not exists:
        return None
    latest = meta.extract_meta(con)["extract_id"]
    row = con.execute("SELECT cancer_source FROM omop_extracts WHERE extract_id = ?", [latest]).fetchone()
    return row[0] if row else None


def report_notes(con) -> list[str]:
    """Message keys of the report's OMOP caveats (pipeline/data/messages/*.toml)."""
    if not cancer_source(con):
        return []
    unknown = con.execute("SELECT count(*) FROM referrals WHERE pathway = 'UNKNOWN'").fetchone()[0]
    return ["note_omop_cancer"] + (["note_omop_pathway_unknown"] if unknown else [])
