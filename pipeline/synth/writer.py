"""Stream Arrow tables to disk: Parquet (one row group per chunk) or CSV (appended), in the
canonical form or as a Swedish CSV (';', decimal comma, Latin-1, dates YYYYMMDD, sex 1/2)."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

SWEDISH = {"encoding": "latin-1", "separator": ";", "decimal": ","}


def swedish(table: pa.Table) -> pa.Table:
    """Swedish CSV conventions: dates YYYYMMDD, decimal comma, sex 1 = man, 2 = kvinna."""
    cols = []
    for name, col in zip(table.column_names, table.columns):
        if pa.types.is_date(col.type):
            col = yyyymmdd(col)
        elif pa.types.is_floating(col.type):
            col = pc.replace_substring(col.cast(pa.string()), ".", ",")
        elif name == "sex":
            col = pc.replace_substring(pc.replace_substring(col, "M", "1"), "F", "2")
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def yyyymmdd(col: pa.ChunkedArray) -> pa.Array:
    """Dates as the integers YYYYMMDD (much faster than strftime), nulls kept."""
    col = col.combine_chunks()
    d = col.fill_null(0).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    years = d.astype("datetime64[Y]")
    value = ((years.astype(np.int64) + 1970) * 10000 + (months - years).astype(np.int64) * 100 + 100
             + (d - months).astype(np.int64) + 1)
    return pa.array(value, pa.int64(), mask=col.is_null().to_numpy(zero_copy_only=False))


class TableWriter:
    def __init__(self, path: Path, schema: pa.Schema, fmt: str, swedish_csv: bool) -> None:
        self.path, self.schema, self.fmt, self.swedish = path, schema, fmt, swedish_csv
        self._pq: pq.ParquetWriter | None = None
        self._fh = None

    def write(self, table: pa.Table) -> None:
        if self.fmt == "parquet":
            if self._pq is None:
                self._pq = pq.ParquetWriter(self.path, self.schema, compression="zstd")
            self._pq.write_table(table, row_group_size=max(table.num_rows, 1))
            return
        first = self._fh is None
        if first:
            self._fh = open(self.path, "wb")
        if self.swedish:
            table = swedish(table)
        buf = io.BytesIO()
        opts = pacsv.WriteOptions(include_header=first, delimiter=";" if self.swedish else ",",
                                  quoting_style="needed")
        pacsv.write_csv(table, buf, opts)
        data = buf.getvalue()
        if self.swedish:
            data = data.decode("utf-8").encode("latin-1")
        self._fh.write(data)

    def close(self) -> None:
        if self._pq is None and self._fh is None:  # no chunk had rows: write an empty table
            self.write(self.schema.empty_table())
        if self._pq is not None:
            self._pq.close()
        if self._fh is not None:
            self._fh.close()


def write_toml(path: Path, values: dict, comments: list[str]) -> None:
    lines = [f"# {c}" for c in comments]
    for key, value in values.items():
        lines.append(f'{key} = "{value}"' if isinstance(value, str) else f"{key} = {value}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
