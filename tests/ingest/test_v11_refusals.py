"""Issue 9 findings 7 and 10 through the real CLI (pipeline.cli.main): extract dates validated,
months outside the data refused, and loud emptiness (empty required tables, files mostly
quarantined for one column) unless accepted by name."""
import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import pipeline.cli as cli
from pipeline.errors import DataRefused
from pipeline.ingest import run as ingest_run

from .conftest import ingest, rows
from .v11 import CONTACTS, LABS, PATIENTS, write_extract


def main(*argv) -> int:
    return cli.main([str(a) for a in argv])


# -- finding 7: dates ---------------------------------------------------------------------

@pytest.mark.parametrize("toml,key", [
    ('extract_date = 2025-06-30\ndata_complete_until = 2025-07-31\n', "data_complete_until"),
    ('extract_date = 2025-06-30\ncancer_register_complete_until = 2025-07-01\n',
     "cancer_register_complete_until"),
    ('data_complete_until = 2025-06-30\n', "data_complete_until"),  # extract date derived: 2025-02-11
    ('extract_date = 2099-01-01\n', "extract_date"),
])
def test_contradictory_or_future_dates_exit_1(tmp_path, capsys, toml, key):
    x = write_extract(tmp_path / "x", toml=toml)
    db = tmp_path / "a.duckdb"
    assert main("ingest", x, "--db", db) == 1
    err = capsys.readouterr().err
    assert f"extract.toml: {key}: is after" in err
    assert "2099" not in err and "2025-07" not in err  # key and reason, not the value
    assert not db.exists()


def test_a_declared_extract_date_is_judged_against_today(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest_run, "today", lambda: dt.date(2025, 6, 29))
    x = write_extract(tmp_path / "x", toml="extract_date = 2025-06-30\n")
    with pytest.raises(DataRefused, match="extract_date: is after today"):
        ingest(x, tmp_path / "a.duckdb")
    monkeypatch.setattr(ingest_run, "today", lambda: dt.date(2025, 6, 30))
    assert ingest(x, tmp_path / "a.duckdb").meta["extract_date"] == dt.date(2025, 6, 30)


def test_date_shifted_data_derive_their_dates_and_load(tmp_path):
    """Research data shifted into the future (MIMIC demo: 2110-2202) declare no dates."""
    x = write_extract(tmp_path / "x", contacts="patient_id,contact_date\np1,2150-01-10\np2,2150-03-11\n",
                      lab_results="patient_id,sample_date,analyte,value,unit\np1,2150-01-10,hb,130,g/L\n")
    db = tmp_path / "a.duckdb"
    s = ingest(x, db)
    assert s.meta["extract_date"] == dt.date(2150, 3, 11)
    assert s.meta["data_complete_until"] == dt.date(2150, 2, 28)
    assert s.rows_quarantined == 0


@pytest.fixture
def ingested(tmp_path):
    """Contacts 2024-03 .. 2025-05, extract date 2025-06-15 (data complete until 2025-05-31)."""
    contacts = "patient_id,contact_date\np1,2024-03-10\np2,2025-05-11\np1,2025-06-15\n"
    x = write_extract(tmp_path / "x", contacts=contacts)
    db = tmp_path / "a.duckdb"
    assert main("ingest", x, "--db", db, "--quiet") == 0
    return db


@pytest.mark.parametrize("argv,needle", [
    (["--month", "2025-06"], "month 2025-06 starts after the extract's data_complete_until 2025-05-31"),
    (["--month", "2025-04", "--to", "2025-07"], "month 2025-07 starts after"),
    (["--month", "2022-11"], "month 2022-11 is more than 15 months before the first month with data (2024-03)"),
])
def test_months_outside_the_data_exit_2(tmp_path, capsys, ingested, argv, needle):
    assert main("run", "--db", ingested, *argv, "--out", tmp_path / "o", "--no-report", "--quiet") == 2
    assert needle in capsys.readouterr().err
    assert rows(ingested, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'cohort_runs'") == [(0,)]


@pytest.mark.parametrize("month", ["2025-05", "2022-12"])
def test_months_at_the_edges_of_the_data_run(tmp_path, ingested, month):
    assert main("run", "--db", ingested, "--month", month, "--out", tmp_path / "o",
                "--no-report", "--quiet") == 0


# -- finding 10: loud emptiness -----------------------------------------------------------

@pytest.mark.parametrize("table", ["patients", "contacts", "lab_results"])
def test_header_only_required_table_exit_1_unless_accepted(tmp_path, capsys, table):
    header = {"patients": PATIENTS, "contacts": CONTACTS, "lab_results": LABS}[table].splitlines()[0] + "\n"
    x = write_extract(tmp_path / "x", **{table: header})
    db = tmp_path / "a.duckdb"
    assert main("ingest", x, "--db", db) == 1
    err = capsys.readouterr().err
    assert f"{table}.csv: required table {table} has no rows" in err and "--accept-empty" in err
    assert not db.exists()
    if table == "patients":  # every other file's rows are then orphans: refused as well
        assert main("ingest", x, "--db", db, "--accept-empty", "patients") == 1
        assert "--accept-quarantine" in capsys.readouterr().err
        return
    assert main("ingest", x, "--db", db, "--accept-empty", table) == 0
    assert f"ACCEPTED EMPTY: required table {table} has no rows" in capsys.readouterr().out


def test_accept_empty_names_a_required_table(tmp_path, capsys):
    x = write_extract(tmp_path / "x")
    with pytest.raises(SystemExit) as exit_:  # argparse: invalid choice
        main("ingest", x, "--db", tmp_path / "a.duckdb", "--accept-empty", "diagnoses")
    assert exit_.value.code == 2 and "--accept-empty" in capsys.readouterr().err


def test_half_quarantined_for_one_column_exit_1_naming_file_column_and_reason(tmp_path, capsys):
    secret = "Zq9-unique-cell"
    labs = ("patient_id,sample_date,analyte,value,unit\n"
            f"p1,2025-01-10,hb,{secret},g/L\np1,2025-01-11,hb,x{secret},g/L\n"
            "p1,2025-01-12,hb,130,g/L\np2,2025-01-12,hb,140,g/L\n")
    x = write_extract(tmp_path / "x", lab_results=labs)
    db = tmp_path / "a.duckdb"
    assert main("ingest", x, "--db", db) == 1
    err = capsys.readouterr().err
    assert ("lab_results.csv: 2 of 4 rows (50 %) are quarantined for column value "
            "(top reason: value: … is not a number)") in err
    assert "--accept-quarantine lab_results.csv" in err and secret not in err
    assert main("ingest", x, "--db", db, "--accept-quarantine", "lab_results.csv") == 0
    out = capsys.readouterr().out
    assert "ACCEPTED HIGH QUARANTINE: lab_results.csv: 2 of 4 rows (50 %)" in out and secret not in out
    assert rows(db, "SELECT count(*) FROM lab_results") == [(2,)]


def test_below_half_for_every_column_is_loaded(tmp_path):
    """3 of 6 rows quarantined, but for two different columns: no column reaches half."""
    labs = ("patient_id,sample_date,analyte,value,unit\n"
            "p1,2025-01-10,hb,abc,g/L\np1,2025-01-11,hb,-5,g/L\np1,2025-01-12,hb,130,mg\n"
            "p1,2025-01-13,hb,130,g/L\np2,2025-01-13,hb,131,g/L\np2,2025-01-14,hb,132,g/L\n")
    s = ingest(write_extract(tmp_path / "x", lab_results=labs), tmp_path / "a.duckdb")
    f = s.file("lab_results")
    assert (f.rows_read, f.rows_quarantined, f.rows_loaded) == (6, 3, 3) and s.high_quarantine == []


def test_accept_quarantine_names_a_file_of_the_extract(tmp_path, capsys):
    x = write_extract(tmp_path / "x")
    assert main("ingest", x, "--db", tmp_path / "a.duckdb", "--accept-quarantine", "labs.csv") == 2
    assert "--accept-quarantine labs.csv: no such file" in capsys.readouterr().err


def test_run_passes_the_accept_flags_to_ingest(tmp_path, capsys):
    x = write_extract(tmp_path / "x", contacts=CONTACTS.splitlines()[0] + "\n",
                      toml="extract_date = 2025-01-31\n")
    args = ["run", x, "--db", tmp_path / "a.duckdb", "--month", "2024-12", "--out", tmp_path / "o",
            "--no-report", "--quiet"]
    assert main(*args) == 1
    assert "required table contacts has no rows" in capsys.readouterr().err
    assert main(*args, "--accept-empty", "contacts") == 0


# -- Parquet dates ------------------------------------------------------------------------

def _parquet_extract(d, contact_dates: pa.Array):
    d.mkdir()
    write_extract(d, contacts=None)
    pq.write_table(pa.table({"patient_id": ["p1", "p2"], "contact_date": contact_dates}),
                   d / "contacts.parquet")
    return d


@pytest.mark.parametrize("dates", [
    pa.array([dt.date(2025, 1, 10), dt.date(2025, 2, 11)], pa.date32()),
    pa.array([dt.datetime(2025, 1, 10, 8, 30), dt.datetime(2025, 2, 11)], pa.timestamp("us")),
    pa.array([dt.datetime(2025, 1, 10, 8, 30), dt.datetime(2025, 2, 11)], pa.timestamp("ns", tz="UTC")),
    pa.array([20098, 20130], pa.int32()).cast(pa.date32()),  # epoch days with the DATE logical type
])
def test_parquet_typed_dates_load(tmp_path, dates):
    db = tmp_path / "a.duckdb"
    ingest(_parquet_extract(tmp_path / "x", dates), db)
    assert rows(db, "SELECT contact_date FROM contacts ORDER BY 1") == [
        (dt.date(2025, 1, 10),), (dt.date(2025, 2, 11),)]


def test_duckdb_written_parquet_dates_load(tmp_path):
    import duckdb
    x = write_extract(tmp_path / "x", contacts=None)
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT * FROM (VALUES ('p1', DATE '2025-01-10', TIMESTAMP '2025-01-10 08:00'),"
                    f" ('p2', DATE '2025-02-11', TIMESTAMP '2025-02-11 00:00')) t(patient_id, contact_date, ts))"
                    f" TO '{x / 'contacts.parquet'}' (FORMAT parquet)")
    db = tmp_path / "a.duckdb"
    ingest(x, db)
    assert rows(db, "SELECT count(*) FROM contacts") == [(2,)]


def test_parquet_plain_integer_days_are_refused_loudly(tmp_path, capsys):
    x = _parquet_extract(tmp_path / "x", pa.array([20098, 20130], pa.int32()))
    assert main("ingest", x, "--db", tmp_path / "a.duckdb") == 1
    err = capsys.readouterr().err
    assert ("contacts.parquet: 2 of 2 rows (100 %) are quarantined for column contact_date (top reason: "
            "contact_date: a plain number, not a date (day counts are read only from a Parquet DATE column))") in err
    assert "20098" not in err
