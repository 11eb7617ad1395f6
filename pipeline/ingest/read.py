"""Read one extract file (CSV, CSV.GZ, Parquet) as text into a DuckDB TEMP staging table.

Every column is read as text (no type sniffing); a 1-based source row number `_row` is added.
CSV: separator `,` `;` tab `|` and encoding UTF-8 (BOM or not) / Latin-1 are detected from the
first MiB unless hinted; a file that turns out not to be UTF-8 later is re-read as Latin-1.
"""
from __future__ import annotations

import codecs
import csv
import gzip
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import DataRefused
from ..log import progress_bar
from .reference import ident, quote
from .personnummer import check_header

SAMPLE_BYTES = 1 << 20
BLOCK_BYTES = 4 << 20
SEPARATORS = (";", ",", "\t", "|")
ENCODINGS = {"utf-8": "utf8", "utf8": "utf8", "utf-8-sig": "utf8", "latin-1": "latin-1",
             "latin1": "latin-1", "iso-8859-1": "latin-1", "cp1252": "cp1252", "windows-1252": "cp1252"}


@dataclass
class Staged:
    table: str
    source_file: str
    stg: str  # staging table name
    columns: list[str]  # staged column names (after renames), without _row
    rows: int
    detail: str  # format detected, for the summary
    # columns read in their native type instead of text: name -> 'date' | 'double' (a Parquet
    # file read in place: `stg` is then a TEMP VIEW over read_parquet, see `_parquet_view`)
    types: dict[str, str] = field(default_factory=dict)
    view: bool = False


def stage_file(con, table: str, path: Path, stg: str, renames: dict[str, str],
               hints: dict[str, str], say=None, check=None) -> Staged:
    """Stage `path` into TEMP table `stg`; `check(names)` may refuse the header before reading.
    A progress bar (bytes read) is shown on a terminal when `say` is given."""
    check = check or (lambda names: None)
    with progress_bar(path.name, total=path.stat().st_size, show=say is not None, unit="B") as bar:
        def progress(rows: int, done_bytes: int) -> None:
            bar.update(completed=done_bytes, note=f"{rows:,} rows")
        if path.name.endswith(".parquet"):
            return _stage_parquet(con, table, path, stg, renames, progress, check)
        return _stage_csv(con, table, path, stg, renames, hints, progress, check)


def _open_raw(path: Path, enc: str):
    """(raw file, UTF-8 byte stream for pyarrow). Single-byte encodings are transcoded here in
    large chunks, about twice as fast as pyarrow's own transcoding."""
    if enc == "utf8":
        raw = pa.OSFile(str(path))
        stream = pa.CompressedInputStream(raw, "gzip") if path.name.endswith(".gz") else raw
        return raw, stream
    raw = open(path, "rb")
    src = gzip.GzipFile(fileobj=raw) if path.name.endswith(".gz") else raw
    return raw, pa.PythonFile(_Transcoder(src, enc), mode="r")


class _Transcoder(io.RawIOBase):
    """Read-only file object: a single-byte encoding (Latin-1, Windows-1252) as UTF-8."""

    def __init__(self, src, enc: str):
        self.src, self.enc = src, enc

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        chunk = self.src.read(n if n and n > 0 else 1 << 22)
        return chunk.decode(self.enc, errors="replace").encode("utf-8")


def _sample(path: Path) -> bytes:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            return f.read(SAMPLE_BYTES)
    except (OSError, EOFError) as exc:
        raise DataRefused(f"{path.name}: unreadable file ({exc})") from None


def detect_csv(path: Path, hints: dict[str, str]) -> tuple[str, str, list[str]]:
    """(encoding, separator, header names) of a CSV file."""
    sample = _sample(path)
    if not sample.strip():
        raise DataRefused(f"{path.name}: empty file (no header row)")
    if b"\x00" in sample:
        raise DataRefused(f"{path.name}: not a text (CSV) file")
    if "encoding" in hints:
        enc = ENCODINGS.get(hints["encoding"].lower())
        if enc is None:
            raise DataRefused(f"{path.name}: unsupported encoding {hints['encoding']!r}; "
                              f"use one of {', '.join(ENCODINGS)}")
    else:
        enc = "utf8" if _is_utf8(sample) else "latin-1"
    text = sample.decode("utf-8" if enc == "utf8" else enc, errors="replace").lstrip("\ufeff")
    first = text.splitlines()[0] if text else ""
    sep = hints.get("separator") or max(SEPARATORS, key=lambda s: (first.count(s), s == ","))
    if sep == "\\t":
        sep = "\t"
    header = next(csv.reader(io.StringIO(first), delimiter=sep), [])
    return enc, sep, header


def _is_utf8(sample: bytes) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return True
    except UnicodeDecodeError:
        return False


def staged_names(path: Path, header: list[str], renames: dict[str, str]) -> list[str]:
    """Column names after renames; the header is scanned for personnummer before any message
    may quote it."""
    check_header(path.name, header)
    names = []
    for h in header:
        key = h.strip().lower()
        names.append(renames.get(key, key))
    if any(not n for n in names):
        raise DataRefused(f"{path.name}: a column has no name in the header row")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DataRefused(f"{path.name}: column {dupes[0]} appears more than once (after mapping)")
    return names


def _create_stg(con, stg: str, names: list[str]) -> None:
    cols = ", ".join(f"{ident(n)} VARCHAR" for n in names)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {stg} (_row BIGINT, {cols})")


def _stream_into(con, stg: str, names: list[str], batches, progress, position) -> int:
    """Insert `batches` (any column types, cast to text) into `stg` in one streaming INSERT,
    numbering rows from 1. An exception raised while reading is re-raised as it was."""
    schema = pa.schema([("_row", pa.int64())] + [(n, pa.string()) for n in names])
    state = {"rows": 0, "error": None}

    def numbered():
        try:
            for batch in batches:
                n = batch.num_rows
                if n == 0:
                    continue
                first = state["rows"] + 1
                cols = [c if c.type == pa.string() else c.cast(pa.string()) for c in batch.columns]
                yield pa.RecordBatch.from_arrays(
                    [pa.array(np.arange(first, first + n, dtype=np.int64)), *cols], schema=schema)
                state["rows"] += n
                progress(state["rows"], position())
        except BaseException as exc:  # DuckDB would wrap it; keep the original
            state["error"] = exc
            raise

    con.register("_aos_batches", pa.RecordBatchReader.from_batches(schema, numbered()))
    try:
        con.execute(f"INSERT INTO {stg} SELECT * FROM _aos_batches")
    except Exception:
        if state["error"] is not None:
            raise state["error"] from None
        raise
    finally:
        con.unregister("_aos_batches")
    return state["rows"]


def _stage_csv(con, table, path, stg, renames, hints, progress, check) -> Staged:
    enc, sep, header = detect_csv(path, hints)
    names = staged_names(path, header, renames)
    check(names)
    # Fast parser first; re-read as Latin-1 when the file is not UTF-8 after all (unless the
    # encoding was declared), and with quoted newlines allowed when a row is ragged.
    newlines = False
    while True:
        _create_stg(con, stg, names)
        try:
            rows = _read_csv(con, path, stg, names, header, enc, sep, newlines, progress)
        except _NotUtf8:
            if enc != "utf8" or "encoding" in hints:
                raise DataRefused(f"{path.name}: not valid {hints.get('encoding', 'UTF-8')} text") from None
            enc = "latin-1"
            continue
        except _Ragged as exc:
            if newlines:
                raise DataRefused(ragged_message(path, enc, sep, len(header))
                                  or f"{path.name}: not a regular table: {exc}") from None
            newlines = True
            continue
        label = {"utf8": "UTF-8", "latin-1": "Latin-1", "cp1252": "Windows-1252"}[enc]
        sep_label = {"\t": "tab"}.get(sep, sep)
        return Staged(table, path.name, stg, names, rows, f"CSV {label} '{sep_label}'")


def ragged_message(path: Path, enc: str, sep: str, expected: int) -> str | None:
    """'<file>: line N has K fields, expected E (M lines are ragged)' for a file already known
    to be ragged (one streaming pass; never the line's text). None when every record fits."""
    opener = gzip.open if path.name.endswith(".gz") else open
    first, count, line = None, 0, 1
    encoding = {"utf8": "utf-8-sig"}.get(enc, enc)
    with opener(path, "rt", encoding=encoding, errors="replace", newline="") as f:
        reader = csv.reader(f, delimiter=sep)
        next(reader, None)  # header
        line = reader.line_num + 1
        for record in reader:
            if record and len(record) != expected:
                count += 1
                first = first or (line, len(record))
            line = reader.line_num + 1
    if first is None:
        return None
    lines = "1 line is ragged" if count == 1 else f"{count:,} lines are ragged"
    return f"{path.name}: line {first[0]:,} has {first[1]} fields, expected {expected} ({lines})"


class _NotUtf8(Exception):
    pass


class _Ragged(Exception):
    pass


def _read_csv(con, path, stg, names, header, enc, sep, newlines, progress) -> int:
    bad: list[str] = []

    def on_invalid(row) -> str:
        where = f"row {row.number}" if row.number else "a row"  # never the row's text
        bad.append(f"{where} has {row.actual_columns} fields, expected {row.expected_columns}")
        return "error"

    read_opts = pacsv.ReadOptions(block_size=BLOCK_BYTES, column_names=header, skip_rows=1)
    parse_opts = pacsv.ParseOptions(delimiter=sep, newlines_in_values=newlines, invalid_row_handler=on_invalid)
    conv_opts = pacsv.ConvertOptions(column_types={h: pa.string() for h in header},
                                     strings_can_be_null=False, quoted_strings_can_be_null=False)
    raw, stream = _open_raw(path, enc)
    try:
        reader = pacsv.open_csv(stream, read_options=read_opts, parse_options=parse_opts,
                                convert_options=conv_opts)
        rows = _stream_into(con, stg, names, reader, progress, raw.tell)
    except pa.ArrowInvalid as exc:
        msg = str(exc)
        if "UTF8" in msg or "UTF-8" in msg or "utf-8" in msg:
            raise _NotUtf8() from None
        if bad:
            raise _Ragged(bad[0]) from None
        raise DataRefused(f"{path.name}: unreadable CSV ({msg.split(':')[0]})") from None
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        if isinstance(exc, UnicodeDecodeError) and enc == "utf8":
            raise _NotUtf8() from None
        raise DataRefused(f"{path.name}: unreadable file ({type(exc).__name__})") from None
    finally:
        raw.close()
    return rows


def _stage_parquet(con, table, path, stg, renames, progress, check) -> Staged:
    try:
        pf = pq.ParquetFile(str(path))
    except (pa.ArrowException, OSError) as exc:
        raise DataRefused(f"{path.name}: unreadable Parquet file ({type(exc).__name__})") from None
    header = pf.schema_arrow.names
    names = staged_names(path, header, renames)
    check(names)
    for name, typ in zip(header, pf.schema_arrow.types):
        if pa.types.is_nested(typ) or pa.types.is_binary(typ):
            raise DataRefused(f"{path.name}: column {name}: type {typ} is not tabular text or number")
    if all(_native(typ) for typ in pf.schema_arrow.types) and not {"_row", "file_row_number"} & set(names):
        return _parquet_view(con, table, path, stg, header, names, pf)
    _create_stg(con, stg, names)
    total, size = max(pf.metadata.num_rows, 1), path.stat().st_size
    done = {"rows": 0}

    def batches():
        for batch in pf.iter_batches(batch_size=1 << 20):
            done["rows"] += batch.num_rows
            yield batch

    try:
        rows = _stream_into(con, stg, names, batches(), progress, lambda: int(size * done["rows"] / total))
    except (pa.ArrowException, OSError) as exc:
        raise DataRefused(f"{path.name}: unreadable Parquet file ({type(exc).__name__})") from None
    return Staged(table, path.name, stg, names, rows, "Parquet")


def _native(typ) -> str | None:
    """How a Parquet column type is read in place: 'text' (strings; integers cast to text, whose
    text is pyarrow's), 'date', 'double'; None: any other type goes through pyarrow's text."""
    if pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_integer(typ):
        return "text"
    if pa.types.is_date32(typ):
        return "date"
    if pa.types.is_float64(typ):
        return "double"
    return None


def _parquet_view(con, table, path, stg, header, names, pf) -> Staged:
    """Stage a Parquet file as a TEMP VIEW over DuckDB's own reader (no copy): strings and integers
    as text, DATE and DOUBLE columns natively (normalise.py and personnummer.py treat them as
    their pyarrow text form, e.g. macro `aos_double_text`)."""
    types, cols = {}, []
    for h, n, typ in zip(header, names, pf.schema_arrow.types):
        kind = _native(typ)
        expr = ident(h) if kind != "text" or not pa.types.is_integer(typ) else f"CAST({ident(h)} AS VARCHAR)"
        cols.append(f"{expr} AS {ident(n)}")
        if kind != "text":
            types[n] = kind
    select = ", ".join(["file_row_number + 1 AS _row", *cols])
    con.execute(f"CREATE OR REPLACE TEMP VIEW {stg} AS SELECT {select} "
                f"FROM read_parquet({quote(str(path))}, file_row_number = true)")
    return Staged(table, path.name, stg, names, pf.metadata.num_rows, "Parquet", types, view=True)
