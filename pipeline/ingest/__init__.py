"""Validated ingest of a regional extract into DuckDB (SPEC §1, §5). See docs/ingest.md.

Public API: `ingest_extract`, `present_tables`, `extract_meta`, `IngestSummary`.
"""
from .load import FileResult
from .mapping import SourceMapping, load_mapping
from .meta import extract_meta, present_tables
from .run import ingest_extract
from .summary import IngestSummary

__all__ = ["ingest_extract", "present_tables", "extract_meta", "IngestSummary", "FileResult",
           "SourceMapping", "load_mapping"]
