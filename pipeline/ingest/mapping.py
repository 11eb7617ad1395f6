"""Source mapping: a TOML file that turns a region's own export into the canonical extract.

    [csv]                          # optional hints (extract.toml wins)
    encoding = "latin-1"
    separator = ";"

    [tables.lab_results]
    file = "labb"                  # file stem: labb.csv / labb.csv.gz / labb.parquet
    [tables.lab_results.columns]   # source column -> canonical column
    provdatum = "sample_date"
    [tables.lab_results.values.analyte]   # value map on a canonical column (exact, trimmed)
    "B-Hb" = "hb"

`file` is a name inside the extract directory: an absolute path or a `..` part is bad usage
(exit 2); a file that resolves outside the directory through a link is refused at ingest (exit 1).
A personnummer in any key or value refuses the mapping (exit 1); messages quote no key that holds
a run of 6 digits. Column names match case-insensitively. Value maps are applied to the trimmed raw text before
normalisation; values not in the map pass through unchanged.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .. import schema
from ..errors import UsageError
from .personnummer import check_toml, safe_key


@dataclass
class TableMapping:
    file: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # lower-case source name -> canonical
    values: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class SourceMapping:
    tables: dict[str, TableMapping] = field(default_factory=dict)
    csv_hints: dict[str, str] = field(default_factory=dict)
    path: Path | None = None

    def file_stem(self, table: str) -> str:
        tm = self.tables.get(table)
        return tm.file if tm and tm.file else table

    def renames(self, table: str) -> dict[str, str]:
        tm = self.tables.get(table)
        return dict(tm.columns) if tm else {}

    def values(self, table: str) -> dict[str, dict[str, str]]:
        tm = self.tables.get(table)
        return dict(tm.values) if tm else {}


def load_mapping(path: str | Path | None) -> SourceMapping:
    if path is None:
        return SourceMapping()
    path = Path(path)
    where = f"mapping {path}"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{where}: file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{where}: not valid TOML: {exc}") from None
    check_toml(where, data)
    unknown = sorted(set(data) - {"csv", "tables"})
    if unknown:
        raise UsageError(f"{where}: unknown section(s) {', '.join(safe_key(k) for k in unknown)}; "
                         "expected [csv], [tables.*]")
    mapping = SourceMapping(path=path, csv_hints={k: str(v) for k, v in data.get("csv", {}).items()})
    bad_hints = sorted(set(mapping.csv_hints) - {"encoding", "separator", "decimal"})
    if bad_hints:
        raise UsageError(f"{where}: [csv]: unknown key(s) {', '.join(safe_key(k) for k in bad_hints)}")
    extract_tables = {t.name: t for t in schema.EXTRACT_TABLES}
    for name, spec in data.get("tables", {}).items():
        if name not in extract_tables:
            raise UsageError(f"{where}: unknown table {safe_key(name)!r}; known: {', '.join(extract_tables)}")
        inputs = {c.name for c in extract_tables[name].input_columns}
        tm = TableMapping(file=_file(spec.get("file"), f"{where}: tables.{name}.file"))
        for src, dst in spec.get("columns", {}).items():
            if dst not in inputs:
                raise UsageError(f"{where}: tables.{name}.columns: {safe_key(src)!r} maps to unknown column "
                                 f"{safe_key(str(dst))!r}; known: {', '.join(sorted(inputs))}")
            if dst in tm.columns.values():
                raise UsageError(f"{where}: tables.{name}.columns: two columns map to {dst!r}")
            tm.columns[src.strip().lower()] = dst
        for col, vmap in spec.get("values", {}).items():
            if col not in inputs:
                raise UsageError(f"{where}: tables.{name}.values: unknown column {safe_key(col)!r}")
            tm.values[col] = {str(k).strip(): str(v) for k, v in vmap.items()}
        extra = sorted(set(spec) - {"file", "columns", "values"})
        if extra:
            raise UsageError(f"{where}: tables.{name}: unknown key(s) {', '.join(safe_key(k) for k in extra)}")
        mapping.tables[name] = tm
    return mapping


def _file(value, where: str) -> str | None:
    """A file stem inside the extract directory (relative, no `..`); the value is never quoted."""
    if value is None:
        return None
    p = Path(str(value))
    if (not isinstance(value, str) or not value.isprintable() or not value.strip() or p.is_absolute()
            or ".." in p.parts or "\\" in value):
        raise UsageError(f"{where}: must name a file inside the extract directory "
                         "(no absolute path, no '..')")
    return value
