"""The same extract in other file forms loads to the same canonical tables: Swedish CSV
(';', decimal comma, Latin-1, YYYYMMDD, sex 1/2), UTF-8 with BOM, CSV.GZ and Parquet."""
import csv
import datetime as dt
import gzip
import io
import re
import shutil

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from .conftest import CANONICAL, canonical_content, ingest, rows

NUMBER_COLUMNS = {"value", "ddd", "ref_low", "ref_high"}
SEX = {"F": "2", "K": "2", "kvinna": "2", "M": "1", "male": "1"}


def swedish(src, dst):
    """Rewrite every CSV of `src` in Swedish form into `dst`."""
    dst.mkdir()
    shutil.copy(src / "extract.toml", dst / "extract.toml")
    for path in src.glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as f:
            data = list(csv.reader(f))
        header, body = data[0], data[1:]
        for row in body:
            for i, col in enumerate(header):
                v = row[i]
                if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
                    row[i] = v.replace("-", "")
                elif col == "sex":
                    row[i] = SEX.get(v, v)
                elif col in NUMBER_COLUMNS:
                    row[i] = v.replace(".", ",")
                elif col == "unit":
                    row[i] = v.replace("10⁹/L", "x10^9/L")
        out = io.StringIO()
        csv.writer(out, delimiter=";", lineterminator="\r\n").writerows([header, *body])
        (dst / path.name).write_bytes(out.getvalue().encode("latin-1"))


def comparable(db):
    """Canonical content without the as-reported lab columns (they differ by design)."""
    got = canonical_content(db)
    got["lab_results"] = sorted((r[:8] for r in got["lab_results"]), key=repr)
    got["quarantine"] = sorted(rows(db, "SELECT table_name, source_row, column_name FROM quarantine"), key=repr)
    return got


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    db = tmp_path_factory.mktemp("ref") / "aos.duckdb"
    ingest(CANONICAL, db)
    return comparable(db)


def test_swedish_csv(tmp_path, reference):
    swedish(CANONICAL, tmp_path / "se")
    assert b";" in (tmp_path / "se" / "patients.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):  # really Latin-1
        (tmp_path / "se" / "care_units.csv").read_bytes().decode("utf-8")
    summary = ingest(tmp_path / "se", tmp_path / "aos.duckdb")
    assert {f.format for f in summary.files} <= {"CSV Latin-1 ';'", "CSV UTF-8 ';'"}  # ASCII-only = UTF-8
    assert summary.file("care_units").format == summary.file("lab_results").format == "CSV Latin-1 ';'"
    assert comparable(tmp_path / "aos.duckdb") == reference


def test_utf8_bom(tmp_path, reference):
    dst = tmp_path / "bom"
    shutil.copytree(CANONICAL, dst)
    for path in dst.glob("*.csv"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    ingest(dst, tmp_path / "aos.duckdb")
    assert comparable(tmp_path / "aos.duckdb") == reference


def test_csv_gz(tmp_path, reference):
    dst = tmp_path / "gz"
    shutil.copytree(CANONICAL, dst)
    for path in dst.glob("*.csv"):
        (dst / f"{path.name}.gz").write_bytes(gzip.compress(path.read_bytes()))
        path.unlink()
    summary = ingest(dst, tmp_path / "aos.duckdb")
    assert all(f.source_file.endswith(".csv.gz") for f in summary.files)
    assert comparable(tmp_path / "aos.duckdb") == reference


def test_parquet_as_text(tmp_path, reference):
    dst = tmp_path / "pq"
    shutil.copytree(CANONICAL, dst)
    for path in dst.glob("*.csv"):
        names = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=False))
        pq.write_table(table, dst / f"{path.stem}.parquet")
        path.unlink()
    summary = ingest(dst, tmp_path / "aos.duckdb")
    assert {f.format for f in summary.files} == {"Parquet"}
    assert comparable(tmp_path / "aos.duckdb") == reference


def test_parquet_with_typed_columns(tmp_path):
    """Dates, integers and floats stored natively in Parquet are read as their text form."""
    pq.write_table(pa.table({"patient_id": ["a", "b"], "birth_year": pa.array([1950, 1960], pa.int32()),
                             "sex": ["F", "M"], "care_unit_id": ["u", "u"]}), tmp_path / "patients.parquet")
    pq.write_table(pa.table({"patient_id": ["a"], "contact_date": pa.array([dt.date(2025, 1, 2)])}),
                   tmp_path / "contacts.parquet")
    pq.write_table(pa.table({
        "patient_id": ["a", "b"], "sample_date": pa.array([dt.date(2025, 1, 2)] * 2),
        "analyte": ["alp", "hb"], "value": pa.array([114.0, 12.5]), "unit": ["U/L", "g/dL"]}),
        tmp_path / "lab_results.parquet")
    ingest(tmp_path, tmp_path / "aos.duckdb")
    assert sorted(rows(tmp_path / "aos.duckdb", "SELECT analyte, sample_date, value FROM lab_results")) == [
        ("alp", dt.date(2025, 1, 2), 1.9), ("hb", dt.date(2025, 1, 2), 125.0)]
    assert rows(tmp_path / "aos.duckdb", "SELECT birth_year FROM patients ORDER BY 1") == [(1950,), (1960,)]


def test_separator_and_encoding_hints_in_extract_toml(tmp_path, reference):
    swedish(CANONICAL, tmp_path / "se")
    toml = tmp_path / "se" / "extract.toml"
    toml.write_text(toml.read_text() + 'encoding = "latin-1"\nseparator = ";"\ndecimal = ","\n')
    ingest(tmp_path / "se", tmp_path / "aos.duckdb")
    assert comparable(tmp_path / "aos.duckdb") == reference


def test_latin1_found_after_the_first_mebibyte_is_reread(tmp_path):
    """The encoding guess looks at the first MiB; a later Latin-1 byte makes the file re-read."""
    dst = tmp_path / "x"
    shutil.copytree(CANONICAL, dst)
    body = "".join(f"A001,2025-01-{1 + i % 28:02d},VC1,visit,n{i}\n" for i in range(40_000))
    data = ("patient_id,contact_date,care_unit_id,contact_type,professional\n" + body
            + "A002,2025-03-03,Vårdcentralen Två,visit,läkare\n").encode("latin-1")
    assert len(data) > (1 << 20)
    (dst / "contacts.csv").write_bytes(data)
    s = ingest(dst, tmp_path / "aos.duckdb")
    assert s.file("contacts").format == "CSV Latin-1 ','"
    assert s.file("contacts").rows_read == 40_001
    assert rows(tmp_path / "aos.duckdb", "SELECT professional FROM contacts WHERE patient_id = 'A002'") == [
        ("läkare",)]


def test_quoted_newlines_in_values(tmp_path):
    dst = tmp_path / "x"
    shutil.copytree(CANONICAL, dst)
    (dst / "contacts.csv").write_text(
        'patient_id,contact_date,contact_type\nA001,2025-01-10,"home\nvisit"\nA002,2025-01-11,phone\n',
        encoding="utf-8")
    s = ingest(dst, tmp_path / "aos.duckdb")
    assert s.file("contacts").rows_loaded == 2
    assert rows(tmp_path / "aos.duckdb", "SELECT contact_type FROM contacts ORDER BY contact_date") == [
        ("home\nvisit",), ("phone",)]
