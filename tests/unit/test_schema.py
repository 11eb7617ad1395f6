import duckdb

from pipeline import schema
from pipeline.docs import DICTIONARY_PATH, data_dictionary


def test_data_dictionary_is_current():
    assert DICTIONARY_PATH.read_text(encoding="utf-8") == data_dictionary(), (
        "docs/data-dictionary.md is out of date: run `make docs`")


def test_ddl_creates_every_table_with_declared_columns():
    con = duckdb.connect()
    schema.create_all(con)
    for t in schema.TABLES:
        cols = [r[0] for r in con.execute(f"DESCRIBE {t.name}").fetchall()]
        assert cols == [c.name for c in t.columns]


def test_required_tables_match_spec():
    assert set(schema.REQUIRED_TABLES) == {"patients", "contacts", "lab_results"}
