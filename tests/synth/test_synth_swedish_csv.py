"""--swedish-csv: ';', decimal comma, Latin-1, dates YYYYMMDD, sex 1/2, declared in extract.toml;
the same content as the canonical Parquet output of the same seed."""
import tomllib

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipeline import schema


def read_swedish(path, table_name):
    names = [c.name for c in schema.table(table_name).input_columns]
    opts = pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=True)
    return pacsv.read_csv(path, read_options=pacsv.ReadOptions(encoding="latin-1"),
                          parse_options=pacsv.ParseOptions(delimiter=";"), convert_options=opts)


def test_extract_toml_declares_the_format(swedish_dir):
    meta = tomllib.loads((swedish_dir / "extract.toml").read_text(encoding="utf-8"))
    assert meta["encoding"] == "latin-1" and meta["separator"] == ";" and meta["decimal"] == ","
    assert meta["extract_date"] == "2024-12-31"
    assert meta["cancer_register_complete_until"] < meta["extract_date"]


def test_bytes_are_latin1_with_semicolons(swedish_dir):
    raw = (swedish_dir / "lab_results.csv").read_bytes()
    assert b"\xb5mol/L" in raw  # µ in Latin-1, not UTF-8 (which would be \xc2\xb5)
    assert b"\xc2\xb5" not in raw
    header = raw.split(b"\n", 1)[0].decode("latin-1")
    assert header.replace('"', "").split(";") == [c.name for c in schema.table("lab_results").input_columns]
    assert "Vårdcentralen".encode("latin-1") in (swedish_dir / "care_units.csv").read_bytes()


def test_same_content_as_parquet(swedish_dir, small_dir):
    for name in ("patients", "lab_results", "observations", "contacts"):
        sv = read_swedish(swedish_dir / f"{name}.csv", name)
        canon = pq.read_table(small_dir / f"{name}.parquet")
        assert sv.num_rows == canon.num_rows > 0
        for col in canon.column_names:
            got, want = sv.column(col), canon.column(col)
            if pa.types.is_date(want.type):
                assert pc.all(pc.match_substring_regex(pc.drop_null(got), r"^\d{8}$"), min_count=0).as_py()
                got = pc.strptime(got, format="%Y%m%d", unit="s").cast(pa.date32())
            elif pa.types.is_floating(want.type):
                got = pc.replace_substring(got, ",", ".").cast(pa.float64())
            elif col == "sex":
                assert set(got.to_pylist()) == {"1", "2"}
                got = pc.if_else(pc.equal(got, "1"), "M", "F")
            elif pa.types.is_integer(want.type):
                got = got.cast(want.type)
            assert got.to_pylist() == want.to_pylist(), f"{name}.{col}"
    values = read_swedish(swedish_dir / "lab_results.csv", "lab_results").column("value").to_pylist()
    assert any("," in v for v in values) and not any("." in v for v in values)
