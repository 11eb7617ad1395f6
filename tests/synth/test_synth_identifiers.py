"""No identifier that looks like a personnummer or samordningsnummer, anywhere in the output:
no 10- or 12-digit value at all (stricter than a Luhn + date check), and nothing the ingest's
guard (pipeline.ingest.personnummer) would flag."""
import re

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

DIGITS = re.compile(r"\d{10}|\d{12}|\d{6}[-+]\d{4}|\d{8}[-+]\d{4}")


def test_patient_ids_are_pseudonymous(small_dir):
    ids = pq.read_table(small_dir / "patients.parquet").column("patient_id")
    assert pc.all(pc.match_substring_regex(ids, r"^P\d{7}$")).as_py()


def test_no_column_holds_a_personnummer_like_value(small_dir):
    files = list(small_dir.glob("*.parquet")) + list((small_dir / "truth").glob("*.parquet"))
    assert len(files) >= 12
    for f in files:
        table = pq.read_table(f)
        for name, col in zip(table.column_names, table.columns):
            if not pa.types.is_string(col.type):
                continue
            hits = [v for v in pc.unique(col).to_pylist() if v and DIGITS.search(v)]
            assert not hits, f"{f.name}.{name} has 10/12-digit values"


def test_ingest_guard_finds_nothing(small_dir):
    pnr = pytest.importorskip("pipeline.ingest.personnummer", reason="pipeline.ingest not available yet")
    for name in ("patients", "contacts", "referrals"):
        for col in ("patient_id", "care_unit_id"):
            values = pc.unique(pq.read_table(small_dir / f"{name}.parquet").column(col)).to_pylist()
            assert not any(pnr.is_personnummer(v) for v in values if v)


def test_the_checks_would_catch_a_personnummer():
    # built at run time: a valid date, three digits, the Luhn check digit
    pnr = pytest.importorskip("pipeline.ingest.personnummer", reason="pipeline.ingest not available yet")
    nine = "851107" + "234"
    value = f"{nine[:6]}-{nine[6:]}{pnr.luhn_check_digit(nine)}"
    assert DIGITS.search(value) and pnr.is_personnummer(value)
