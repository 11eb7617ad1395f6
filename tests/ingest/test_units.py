"""Unit spellings and exact conversions (pipeline/data/units.csv, SPEC §1.1)."""
from decimal import Decimal

import duckdb
import pytest

from pipeline.ingest import reference


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    reference.install(c)
    return c


def convert(con, analyte, value, unit):
    """Canonical value via the same join and expression as ingest (normalise._lab_sql)."""
    return con.execute(
        "SELECT round(? * u.multiply / u.divide, 6), u.canonical_unit FROM aos_units u "
        "WHERE u.analyte = ? AND u.unit_key = aos_unit_key(?)", [value, analyte, unit]).fetchone()


def test_alp_114_u_per_l_is_exactly_1_9(con):
    assert convert(con, "alp", 114.0, "U/L") == (1.9, "µkat/L")
    assert not convert(con, "alp", 114.0, "u/l")[0] > 1.9  # never "above 1.9" by float noise


@pytest.mark.parametrize("analyte,value,unit,expected", [
    ("hb", "12.5", "g/dL", "125"), ("hb", "8", "mmol/L", "128.88"), ("alp", "60", "U/L", "1"),
    ("calcium", "10", "mg/dL", "2.495"), ("albumin", "3.5", "g/dL", "35"), ("ferritin", "25", "ng/mL", "25"),
    ("creatinine", "1.2", "mg/dL", "106.08"), ("weight", "70000", "g", "70"), ("height", "1.68", "m", "168"),
    ("weight", "160", "lb", "72.574779"),
])
def test_conversions_match_exact_decimal_arithmetic(con, analyte, value, unit, expected):
    assert convert(con, analyte, float(value), unit)[0] == float(Decimal(expected))


def test_every_conversion_row_is_exact_to_six_decimals(con):
    for r in reference.units_rows():
        if not r["unit"]:
            continue
        for raw in ("1", "7.3", "114", "0.05", "12345.678"):
            exact = Decimal(raw) * Decimal(r["multiply"]) / Decimal(r["divide"])
            got = convert(con, r["analyte"], float(raw), r["unit"])[0]
            assert got == float(round(exact, 6)), (r, raw)


@pytest.mark.parametrize("spellings", [
    ["10⁹/L", "10^9/L", "10E9/L", "x10^9/L", "x 10^9/l", "10*9/L", "×10^9/L"],
    ["µkat/L", "μkat/L", "ukat/L", "mikrokat/L", "UKAT/L"],
    ["µmol/L", "umol/l", "mikromol/L"],
    ["C", "°C", "c"],
])
def test_unit_spellings_normalise_to_one_key(con, spellings):
    keys = {con.execute("SELECT aos_unit_key(?)", [s]).fetchone()[0] for s in spellings}
    assert len(keys) == 1


def test_every_canonical_unit_is_itself_accepted(con):
    for r in reference.units_rows():
        if r["unit"]:
            assert convert(con, r["analyte"], 1.0, r["canonical_unit"]) == (1.0, r["canonical_unit"])


def test_npu_codes_map_to_known_analytes():
    known = {r["analyte"] for r in reference.units_rows()}
    for r in reference.npu_rows():
        assert r["code"].startswith("NPU") and r["analyte"] in known and r["source"]
