"""An OMOP CDM source: a folder of table files or a DuckDB database file (SPEC §8).

Clinical tables are staged as text, with a 1-based row number `_row`, through the same reader
as a canonical extract (`pipeline.ingest.read.stage_file`); vocabulary tables are only joined,
so they are read directly by DuckDB.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..errors import DataRefused, UsageError
from ..ingest import read
from ..ingest.extract import SUFFIXES, sha256_file
from ..ingest.reference import ident, quote

CLINICAL = ("person", "observation_period", "death", "visit_occurrence", "condition_occurrence",
            "drug_exposure", "measurement", "observation", "procedure_occurrence", "care_site")
VOCABULARY = ("concept", "concept_ancestor")


@dataclass
class OmopTable:
    name: str  # OMOP table name, lower case
    label: str  # what `source_file` says: the file name, or schema.table
    path: Path | None = None  # folder source
    sha256: str = ""


@dataclass
class OmopSource:
    location: str
    tables: dict[str, OmopTable] = field(default_factory=dict)
    db_path: Path | None = None  # DuckDB source
    db_schema: str = "main"

    def has(self, name: str) -> bool:
        return name in self.tables


def open_source(location, db_schema: str = "main") -> OmopSource:
    """Find the OMOP tables of `location` (folder or DuckDB file); refuses a source without person."""
    path = Path(location)
    if path.is_dir():
        src = OmopSource(str(path))
        for f in sorted(path.iterdir()):
            low = f.name.lower()
            suffix = next((s for s in SUFFIXES if low.endswith(s)), None)
            name = low[: -len(suffix)] if suffix else None
            if name not in CLINICAL + VOCABULARY or not f.is_file():
                continue
            if name in src.tables:
                raise DataRefused(f"{path}: OMOP table {name} is given twice "
                                  f"({src.tables[name].label}, {f.name}); keep one")
            src.tables[name] = OmopTable(name, f.name, f)
    elif path.is_file():
        src = OmopSource(str(path), db_path=path, db_schema=db_schema)
        try:
            con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error:
            raise UsageError(f"--omop {path}: not a folder of OMOP tables nor a DuckDB database") from None
        try:
            names = [r[0] for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = ? UNION ALL "
                "SELECT view_name FROM duckdb_views() WHERE schema_name = ? AND NOT internal",
                [db_schema, db_schema]).fetchall()]
        finally:
            con.close()
        if not names:
            raise UsageError(f"--omop {path}: schema {db_schema!r} has no tables (see --omop-schema)")
        for n in names:
            if n.lower() in CLINICAL + VOCABULARY:
                src.tables[n.lower()] = OmopTable(n.lower(), f"{db_schema}.{n}")
    else:
        raise UsageError(f"--omop {location}: no such folder or database file")
    if "person" not in src.tables:
        raise DataRefused(f"{location}: required OMOP table person is missing "
                          "(expected person.csv, PERSON.csv, .csv.gz, .parquet or a table person)")
    return src


def attach(con, src: OmopSource) -> None:
    if src.db_path is not None:
        con.execute(f"ATTACH {quote(str(src.db_path))} AS omop_src (READ_ONLY)")


def relation(src: OmopSource, name: str) -> str:
    """SQL relation of an OMOP vocabulary table, every column as text."""
    t = src.tables[name]
    if t.path is None:
        return f"(SELECT * FROM omop_src.{ident(src.db_schema)}.{ident(_stored_name(src, name))})"
    p = quote(str(t.path))
    if t.path.name.lower().endswith(".parquet"):
        return f"read_parquet({p})"
    sep = read.detect_csv(t.path, {})[1]
    return f"read_csv({p}, all_varchar = true, header = true, delim = {quote(sep)}, quote = '\"')"


def _stored_name(src: OmopSource, name: str) -> str:
    return src.tables[name].label.split(".", 1)[1]


def stage(con, src: OmopSource, name: str, hints: dict, say=None) -> tuple[str, list[str], int]:
    """Stage OMOP table `name` as TEMP table omop_<name> (text columns, `_row`):
    (staging table, column names, rows)."""
    t, stg = src.tables[name], f"omop_{name}"
    if t.path is not None:
        staged = read.stage_file(con, name, t.path, stg, {}, hints, say)
        return stg, staged.columns, staged.rows
    rel = f"omop_src.{ident(src.db_schema)}.{ident(_stored_name(src, name))}"
    cols = [r[0] for r in con.execute(f"DESCRIBE {rel}").fetchall()]
    names = read.staged_names(Path(t.label), cols, {})
    sel = ", ".join(f"CAST({ident(c)} AS VARCHAR) AS {ident(n)}" for c, n in zip(cols, names))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {stg} AS SELECT row_number() OVER () AS _row, {sel} FROM {rel}")
    rows = con.execute(f"SELECT count(*) FROM {stg}").fetchone()[0]
    return stg, names, rows


def fingerprint(con, src: OmopSource, name: str) -> str:
    """SHA-256 of a table file, or a content hash of a database table."""
    t = src.tables[name]
    if not t.sha256:
        if t.path is not None:
            t.sha256 = sha256_file(t.path)
        else:
            rel = f"omop_src.{ident(src.db_schema)}.{ident(_stored_name(src, name))}"
            n, h = con.execute(f"SELECT count(*), bit_xor(hash(t)) FROM {rel} t").fetchone()
            t.sha256 = hashlib.sha256(f"{t.label}:{n}:{h}".encode()).hexdigest()
    return t.sha256
