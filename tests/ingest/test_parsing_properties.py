"""Property tests of the SQL parsers (sql/ingest/macros.sql): numbers and dates."""
import datetime as dt

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.ingest import reference


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    reference.install(c)
    return c


def one(con, sql, *params):
    return con.execute(sql, list(params)).fetchone()[0]


finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)


@settings(max_examples=200, deadline=None)
@given(x=finite, comma=st.booleans())
def test_number_round_trips_with_decimal_point_or_comma(con, x, comma):
    text = repr(x)  # shortest repr, may use an exponent
    if comma:
        text = text.replace(".", ",")
    assert one(con, "SELECT aos_num(?)", text) == x


@settings(max_examples=200, deadline=None)
@given(x=st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False), comp=st.sampled_from(["", "<", ">", "< ", "> "]),
       comma=st.booleans())
def test_lab_value_with_comparator(con, x, comp, comma):
    text = f"{x:f}"
    if comma:
        text = text.replace(".", ",")
    value, qualifier = con.execute("SELECT aos_lab_num(?), aos_lab_qualifier(?)", [comp + text, comp + text]).fetchone()
    assert value == float(x)
    assert qualifier == (comp.strip() or None)


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "1,2,3", "1 000", "12,5 mg", "--1", "<", "1e", "inf", "NaN", "0x10"])
def test_not_numbers(con, text):
    assert one(con, "SELECT aos_num(?)", text) is None
    assert one(con, "SELECT aos_lab_num(?)", text) is None


@settings(max_examples=200, deadline=None)
@given(d=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_valid_dates_parse_equal_in_iso_and_compact_form(con, d):
    iso, compact = d.isoformat(), d.strftime("%Y%m%d")
    assert con.execute("SELECT aos_date(?), aos_date(?), aos_date(?)",
                       [iso, compact, iso + " 13:45:00"]).fetchone() == (d, d, d)


@settings(max_examples=200, deadline=None)
@given(y=st.integers(1900, 2100), m=st.integers(0, 13), day=st.integers(0, 32))
def test_impossible_dates_rejected(con, y, m, day):
    try:
        dt.date(y, m, day)
        return  # a real date: covered above
    except ValueError:
        pass
    iso, compact = f"{y:04d}-{m:02d}-{day:02d}", f"{y:04d}{m:02d}{day:02d}"
    assert con.execute("SELECT aos_date(?), aos_date(?)", [iso, compact]).fetchone() == (None, None)


@pytest.mark.parametrize("text", ["2025-2-3", "25-02-03", "2025/02/03", "03.02.2025", "2025-02-03x", "202502031"])
def test_other_date_shapes_rejected(con, text):
    assert one(con, "SELECT aos_date(?)", text) is None
