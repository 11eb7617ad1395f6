"""Parquet DATE and DOUBLE columns are read in place (read._parquet_view) and parsed natively; the
result must be exactly that of their text form (pyarrow's), which ingest used to stage."""
import datetime as dt
import math
import random
import struct

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.errors import DataRefused
from pipeline.ingest import read, reference

from .conftest import canonical_content, ingest, rows
from .test_personnummer import make

D = dt.date
NAN, INF = math.nan, math.inf


def _tables() -> dict[str, pa.Table]:
    """Typed columns with the edge cases of each check: nan / inf, tiny and huge numbers,
    negative zero, dates before 1900 and after the extract date, unit conversions, limits."""
    return {
        "patients": pa.table({
            "patient_id": ["p1", "p2", "p3", "p4"],
            "birth_year": pa.array([1950, 1960, 1970, None], pa.int32()),
            "birth_date": pa.array([D(1950, 3, 1), D(1961, 1, 1), None, D(1980, 5, 5)], pa.date32()),
            "sex": ["F", "M", "K", "2"], "care_unit_id": ["u1"] * 4,
            "listed_from": pa.array([D(2020, 1, 1), D(2021, 1, 1), None, D(2022, 1, 1)], pa.date32()),
            "listed_to": pa.array([None, D(2020, 6, 1), D(2030, 1, 1), None], pa.date32()),
            "death_date": pa.array([None, None, D(1850, 1, 1), None], pa.date32())}),
        "contacts": pa.table({
            "patient_id": ["p1", "p1", "p4", "p4", "p9", "p1"],
            "contact_date": pa.array([D(2025, 1, 2), D(1899, 12, 31), D(2025, 7, 1), None, D(2025, 1, 3),
                                      D(2025, 1, 2)], pa.date32())}),
        "prescriptions": pa.table({
            "patient_id": ["p1"] * 8,
            "prescribed_date": pa.array([D(2025, 1, d) for d in range(1, 9)], pa.date32()),
            "atc_code": ["n02ax02"] * 8,
            "ddd": pa.array([1.0, -2.5, NAN, INF, 1e-7, 12345678901.5, None, -0.0], pa.float64())}),
        "lab_results": pa.table({
            "patient_id": ["p1"] * 10,
            "sample_date": pa.array([D(2025, 2, d) for d in range(1, 11)], pa.date32()),
            "analyte": ["alp", "hb", "hb", "hb", "crp", "xyz", "hb", "hb", "crp", "crp"],
            "value": pa.array([114.0, 12.5, NAN, -INF, 5.0, 2.5e-7, 1e10, 0.0, 3.000000000000001, None],
                              pa.float64()),
            "unit": ["U/L", "g/dL", "g/L", "g/L", "mg/L", "foo", "g/L", "g/L", "mg/L", "mg/L"],
            "ref_low": pa.array([35.0, 11.7, None, NAN, 0.0, None, None, 1e-5, None, None], pa.float64()),
            "ref_high": pa.array([105.0, 15.3, None, None, INF, None, None, 1e21, None, None], pa.float64())}),
        "observations": pa.table({
            "patient_id": ["p1"] * 4,
            "obs_date": pa.array([D(2025, 3, d) for d in range(1, 5)], pa.date32()),
            "kind": ["weight", "weight", "height", "temperature"],
            "value": pa.array([154.0, 900.0, -1.0, NAN], pa.float64()),
            "unit": ["lb", "kg", "cm", "C"]}),
    }


def _as_text(table: pa.Table) -> pa.Table:
    return pa.table({n: c.cast(pa.string()) if c.type != pa.string() else c
                     for n, c in zip(table.column_names, table.columns)})


def _write(d, tables, text: bool):
    d.mkdir()
    (d / "extract.toml").write_text('region = "Test"\nextract_date = "2025-06-30"\n', encoding="utf-8")
    for name, table in tables.items():
        pq.write_table(_as_text(table) if text else table, d / f"{name}.parquet")
    return d


def test_native_columns_load_exactly_as_their_text(tmp_path):
    tables = _tables()
    native, text = _write(tmp_path / "native", tables, False), _write(tmp_path / "text", tables, True)
    accept = [f"{name}.parquet" for name in tables]  # the edge cases are most of some files
    s_native = ingest(native, tmp_path / "n.duckdb", accept_quarantine=accept)
    s_text = ingest(text, tmp_path / "t.duckdb", accept_quarantine=accept)
    assert canonical_content(tmp_path / "n.duckdb") == canonical_content(tmp_path / "t.duckdb")
    q = "SELECT table_name, source_file, source_row, column_name, reason FROM quarantine ORDER BY ALL"
    assert rows(tmp_path / "n.duckdb", q) == rows(tmp_path / "t.duckdb", q)
    counts = [(f.table, f.rows_read, f.rows_loaded, f.rows_quarantined) for f in s_native.files]
    assert counts == [(f.table, f.rows_read, f.rows_loaded, f.rows_quarantined) for f in s_text.files]
    # the edge cases did reach the checks: nan / inf quoted, a date before 1900, an orphan
    reasons = {r[4] for r in rows(tmp_path / "n.duckdb", q)}
    assert {"ddd: 'nan' is not a number", "ddd: 'inf' is not a number", "ddd: '-2.5' is negative",
            "value: '-inf' is not a number", "contact_date: '1899-12-31' is before 1900"} <= reasons
    assert any(r.startswith("patient_id: not in patients") for r in reasons)
    assert rows(tmp_path / "n.duckdb", "SELECT value_text FROM lab_results WHERE analyte = 'xyz'") == [("2.5e-7",)]


def test_typed_parquet_is_read_in_place(tmp_path):
    pq.write_table(_tables()["lab_results"], tmp_path / "lab_results.parquet")
    pq.write_table(pa.table({"patient_id": ["a"], "ts": pa.array([dt.datetime(2025, 1, 1)])}), tmp_path / "t.parquet")
    con = duckdb.connect()
    staged = read.stage_file(con, "lab_results", tmp_path / "lab_results.parquet", "stg", {}, {})
    assert staged.view and staged.types == {"sample_date": "date", "value": "double", "ref_low": "double",
                                            "ref_high": "double"}
    assert con.execute("SELECT min(_row), max(_row), count(*) FROM stg").fetchone() == (1, 10, 10)
    other = read.stage_file(con, "contacts", tmp_path / "t.parquet", "stg2", {}, {})
    assert not other.view and other.types == {}  # a TIMESTAMP: staged as pyarrow's text


def test_personnummer_in_a_double_column_is_refused(tmp_path):
    tables = _tables()
    pnr = make(D(1981, 12, 18), 987, sep="")
    lab = tables["lab_results"]
    tables["lab_results"] = lab.set_column(lab.column_names.index("ref_low"), "ref_low",
                                           pa.array([float(pnr)] * lab.num_rows, pa.float64()))
    with pytest.raises(DataRefused, match="lab_results.parquet: column ref_low: holds Swedish personnummer"):
        ingest(_write(tmp_path / "x", tables, False), tmp_path / "a.duckdb")


def test_double_text_macro_is_pyarrows_text():
    rng = random.Random(7)
    values = [0.0, -0.0, 5.0, 1e9, 999999999.5, 1e10, 1e-6, 9.99e-7, 1e-7, 2.5e-5, 5e-324, 1.7976931348623157e308,
              NAN, -NAN, INF, -INF, 1 / 3, 1e15, 1e16, 1e21, -12345678901.5]
    values += [rng.gauss(0, 1) * 10.0 ** rng.randint(-12, 16) for _ in range(3000)]
    values += [round(rng.random() * 10.0 ** rng.randint(-3, 11), rng.randint(0, 6)) for _ in range(3000)]
    values += [struct.unpack("d", rng.randbytes(8))[0] for _ in range(3000)]
    con = duckdb.connect()
    reference.install(con)
    got = [r[0] for r in con.execute(
        "SELECT aos_double_text(v) FROM (SELECT unnest(?::DOUBLE[]) AS v, generate_subscripts(?::DOUBLE[], 1) AS i) "
        "ORDER BY i", [values, values]).fetchall()]
    assert got == pa.array(values, pa.float64()).cast(pa.string()).to_pylist()


def test_parquet_with_corrupt_data_pages_is_refused(tmp_path):
    """The footer opens (pyarrow), the pages do not (DuckDB reads them): refused, nothing loaded."""
    tables = _tables()
    n = 5000
    tables["lab_results"] = pa.table({
        "patient_id": ["p1"] * n, "sample_date": pa.array([D(2025, 2, 1)] * n, pa.date32()),
        "analyte": [f"hb{i}" for i in range(n)], "value": pa.array([float(i) for i in range(n)]),
        "unit": ["g/L"] * n})
    x = _write(tmp_path / "x", tables, False)
    path = x / "lab_results.parquet"
    data = bytearray(path.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little")
    for i in range(8, len(data) - footer - 8, 7):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    pq.ParquetFile(path)  # still opens
    db = tmp_path / "a.duckdb"
    with pytest.raises(DataRefused, match="lab_results.parquet: unreadable Parquet file"):
        ingest(x, db)
    assert not db.exists()
