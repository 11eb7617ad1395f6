"""OMOP source forms (CSV comma/tab, upper-case names, .csv.gz, Parquet, a DuckDB file), dates,
the personnummer guard, idempotency, atomicity and extract.toml."""
from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from pipeline.errors import DataRefused, UsageError
from tests.ingest.conftest import canonical_content, snapshot
from tests.ingest.test_personnummer import make as make_pnr

from . import fixture as fx
from .conftest import assert_reconciles, ingest, rows, write_omop, write_table


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ref")
    write_omop(tmp / "src", fx.TABLES)
    ingest(tmp / "src", tmp / "aos.duckdb")
    return canonical_content(tmp / "aos.duckdb")


@pytest.mark.parametrize("form, sep, upper", [("csv", "\t", True), ("csv.gz", ",", False),
                                               ("parquet", ",", True)])
def test_file_forms_give_the_same_tables(tmp_path, reference, form, sep, upper):
    src = tmp_path / "src"
    for name, (header, data) in fx.TABLES.items():
        path = write_table(src, name, header, data, sep=sep, form=form)
        if upper:
            path.rename(path.with_name(path.name.split(".")[0].upper() + path.name[len(name):]))
    db = tmp_path / "aos.duckdb"
    ingest(src, db)
    assert canonical_content(db) == reference
    assert_reconciles(db)


def test_duckdb_source_with_schema(tmp_path, reference):
    src_db = tmp_path / "source.duckdb"
    con = duckdb.connect(str(src_db))
    con.execute("CREATE SCHEMA cdm")
    for name, (header, data) in fx.TABLES.items():
        con.execute(f"CREATE TABLE cdm.{name} ({', '.join(f'{h} VARCHAR' for h in header)})")
        if data:
            con.executemany(f"INSERT INTO cdm.{name} VALUES ({', '.join('?' for _ in header)})",
                            [[None if v == "" else v for v in r] for r in data])
    # typed columns, as a real CDM database has them
    con.execute("ALTER TABLE cdm.person ALTER year_of_birth TYPE INTEGER")
    con.execute("ALTER TABLE cdm.person ALTER gender_concept_id TYPE DOUBLE")  # 8532.0
    con.execute("ALTER TABLE cdm.observation_period ALTER observation_period_end_date TYPE DATE")
    con.close()
    db = tmp_path / "aos.duckdb"
    ingest(src_db, db, db_schema="cdm")
    assert canonical_content(db) == reference
    (sf,), = rows(db, "SELECT DISTINCT source_file FROM ingest_files WHERE table_name = 'patients'")
    assert sf == "cdm.person"
    with pytest.raises(UsageError, match="schema 'nope'"):
        ingest(src_db, tmp_path / "other.duckdb", db_schema="nope")


def test_date_shifted_data_load(tmp_path):
    """MIMIC-style dates far in the future load: derived dates are not checked against today."""
    person = (fx.PERSON[0], [("1", "8532", "2090", "10", "", "a1")])
    visits = (fx.VISIT[0], [("1", "2150-03-01", "9202", "10"), ("1", "21500305", "9202", "10")])
    write_omop(tmp_path / "src", {"person": person, "visit_occurrence": visits})
    db = tmp_path / "aos.duckdb"
    ingest(tmp_path / "src", db)
    assert rows(db, "SELECT count(*) FROM contacts") == [(2,)]
    assert rows(db, "SELECT extract_date FROM extract_meta") == [(dt.date(2150, 3, 5),)]


def test_personnummer_in_an_omop_column_is_refused(tmp_path):
    pnr = make_pnr(dt.date(1961, 4, 2), 321)
    header, data = fx.PERSON
    data = [r[:-1] + (pnr,) for r in data]
    write_omop(tmp_path / "src", {**fx.TABLES, "person": (header, data)})
    db = tmp_path / "aos.duckdb"
    with pytest.raises(DataRefused) as err:
        ingest(tmp_path / "src", db)
    msg = str(err.value)
    assert "person.csv" in msg and "person_source_value" in msg and pnr not in msg
    assert not db.exists()


def test_refusals_leave_the_database_as_it_was(tmp_path):
    write_omop(tmp_path / "src", fx.TABLES)
    db = tmp_path / "aos.duckdb"
    ingest(tmp_path / "src", db)
    before = snapshot(db)
    header, data = fx.MEASUREMENT
    write_table(tmp_path / "src", "measurement", header[1:], [r[1:] for r in data])  # no person_id
    with pytest.raises(DataRefused, match="measurement.csv: required OMOP column person_id"):
        ingest(tmp_path / "src", db)
    assert snapshot(db) == before
    (tmp_path / "src" / "person.csv").unlink()
    with pytest.raises(DataRefused, match="required OMOP table person"):
        ingest(tmp_path / "src", db)


def test_same_source_twice_changes_nothing(tmp_path):
    write_omop(tmp_path / "src", fx.TABLES)
    db = tmp_path / "aos.duckdb"
    ingest(tmp_path / "src", db)
    before = snapshot(db)
    again = ingest(tmp_path / "src", db)
    assert again.skipped_all
    assert snapshot(db) == before


def test_a_changed_source_adds_only_what_is_new(tmp_path):
    write_omop(tmp_path / "src", fx.TABLES)
    db = tmp_path / "aos.duckdb"
    ingest(tmp_path / "src", db)
    header, data = fx.VISIT
    write_table(tmp_path / "src", "visit_occurrence", header, data + [("3", "2024-03-09", "9202", "10")])
    summary = ingest(tmp_path / "src", db)
    res = next(f for f in summary.files if f.table == "contacts")
    assert (res.rows_loaded, res.rows_already_present, res.rows_quarantined) == (1, 3, 1)
    assert_reconciles(db)


def test_extract_toml_beside_the_tables_or_given(tmp_path):
    write_omop(tmp_path / "src", fx.TABLES)
    (tmp_path / "src" / "extract.toml").write_text('cancer_register_complete_until = "2023-12-31"\n')
    db = tmp_path / "a.duckdb"
    ingest(tmp_path / "src", db)
    assert rows(db, "SELECT cancer_register_complete_until FROM extract_meta") == [(dt.date(2023, 12, 31),)]
    other = tmp_path / "elsewhere.toml"
    other.write_text('extract_date = "2024-03-31"\ncancer_register_complete_until = "2024-01-31"\n')
    db2 = tmp_path / "b.duckdb"
    ingest(tmp_path / "src", db2, extract_toml=other)
    assert rows(db2, "SELECT extract_date, cancer_register_complete_until, derived_fields FROM extract_meta") == [
        (dt.date(2024, 3, 31), dt.date(2024, 1, 31), "data_complete_until")]
    with pytest.raises(UsageError):
        ingest(tmp_path / "src", tmp_path / "c.duckdb", extract_toml=tmp_path / "missing.toml")
    shutil.rmtree(tmp_path / "src")


def test_a_future_typo_in_current_data_is_quarantined(tmp_path):
    person = (fx.PERSON[0], [("1", "8532", "1950", "10", "", "a1")])
    visits = (fx.VISIT[0], [("1", "2024-03-01", "9202", "10"), ("1", "2099-01-01", "9202", "10")])
    write_omop(tmp_path / "src", {"person": person, "visit_occurrence": visits})
    db = tmp_path / "aos.duckdb"
    ingest(tmp_path / "src", db)
    assert rows(db, "SELECT extract_date FROM extract_meta") == [(dt.date(2024, 3, 1),)]
    assert rows(db, "SELECT source_row, column_name FROM quarantine") == [(2, "contact_date")]
    assert_reconciles(db)
