"""The extract directory: `extract.toml`, one file per table, file hashes and the extract id."""
from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .. import schema
from ..errors import DataRefused, UsageError
from .mapping import SourceMapping
from .personnummer import check_file_names, check_toml, safe_key

SUFFIXES = (".csv", ".csv.gz", ".parquet")
DATE_FIELDS = ("extract_date", "data_complete_until", "cancer_register_complete_until")
CSV_HINTS = ("encoding", "separator", "decimal")
KNOWN_KEYS = {"region", *DATE_FIELDS, *CSV_HINTS}
REGION_MAX = 100


@dataclass
class ExtractConfig:
    region: str | None = None
    dates: dict[str, dt.date | None] = field(default_factory=dict)
    csv_hints: dict[str, str] = field(default_factory=dict)
    toml_bytes: bytes = b""


@dataclass
class TableFile:
    table: str
    path: Path
    sha256: str = ""

    @property
    def name(self) -> str:
        return self.path.name


def read_config(extract_dir: Path, mapping: SourceMapping) -> ExtractConfig:
    cfg = ExtractConfig(csv_hints=dict(mapping.csv_hints))
    path = extract_dir / "extract.toml"
    if not path.exists():
        return cfg
    cfg.toml_bytes = path.read_bytes()
    try:
        data = tomllib.loads(cfg.toml_bytes.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataRefused(f"extract.toml: not valid TOML: {exc}") from None
    check_toml("extract.toml", data)
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        raise DataRefused(f"extract.toml: unknown key(s) {', '.join(safe_key(k) for k in unknown)}; "
                          f"known: {', '.join(sorted(KNOWN_KEYS))}")
    cfg.region = _region(data["region"]) if "region" in data else None
    for key in DATE_FIELDS:
        cfg.dates[key] = _date(data.get(key), key)
    for key in CSV_HINTS:
        if key in data:
            cfg.csv_hints[key] = str(data[key])
    if cfg.csv_hints.get("decimal", ".") not in (".", ","):
        raise DataRefused("extract.toml: decimal: must be '.' or ','")
    return cfg


def _region(value) -> str:
    """The region's name goes into the report header and the manifest: plain text only."""
    if not isinstance(value, str) or not value.strip() or len(value) > REGION_MAX or not value.isprintable():
        raise DataRefused(f"extract.toml: region: must be plain text (printable characters, "
                          f"at most {REGION_MAX})")
    return value.strip()


def _date(value, key: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise DataRefused(f"extract.toml: {key}: not a date (YYYY-MM-DD)") from None


def find_files(extract_dir: Path, mapping: SourceMapping) -> list[TableFile]:
    """One file per extract table found in the directory; refuses missing required tables."""
    if not extract_dir.is_dir():
        raise UsageError(f"{extract_dir}: not a directory (expected an extract directory)")
    check_file_names(extract_dir, [p.name for p in extract_dir.iterdir()])
    root = extract_dir.resolve()
    found = []
    for t in schema.EXTRACT_TABLES:
        stem = mapping.file_stem(t.name)
        hits = [extract_dir / f"{stem}{s}" for s in SUFFIXES if (extract_dir / f"{stem}{s}").is_file()]
        if len(hits) > 1:
            raise DataRefused(f"{extract_dir}: table {t.name} is given twice "
                              f"({', '.join(h.name for h in hits)}); keep one")
        if not hits:
            if t.required:
                raise DataRefused(f"{extract_dir}: required table {t.name} is missing "
                                  f"(expected {stem}.csv, {stem}.csv.gz or {stem}.parquet)")
            continue
        if not hits[0].resolve().is_relative_to(root):
            raise DataRefused(f"{extract_dir}: the file of table {t.name} resolves outside the extract "
                              f"directory (a link?); copy the file into the extract")
        found.append(TableFile(t.name, hits[0]))
    return found


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(8 << 20):
            h.update(chunk)
    return h.hexdigest()


def extract_id(files: list[TableFile], cfg: ExtractConfig) -> str:
    """Hash of the extract's files (names and contents, and extract.toml)."""
    h = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.table):
        h.update(f"{f.table}:{f.name}:{f.sha256}\n".encode())
    h.update(hashlib.sha256(cfg.toml_bytes).hexdigest().encode())
    return h.hexdigest()[:16]
