"""Validated ingest of a regional extract into DuckDB (SPEC §1, §5). See docs/ingest.md.

Public API: `ingest_extract`, `present_tables`, `extract_meta`, `IngestSummary`.
The names load on first use: `aos run --db` (no extract) reads only `meta` and so imports
neither pandas nor pyarrow through this package.
"""
from importlib import import_module

_WHERE = {"FileResult": "load", "SourceMapping": "mapping", "load_mapping": "mapping",
          "extract_meta": "meta", "present_tables": "meta", "ingest_extract": "run",
          "IngestSummary": "summary"}
__all__ = list(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_WHERE[name]}", __name__), name)
