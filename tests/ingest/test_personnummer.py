"""De-identification guard (SPEC §5). Valid numbers are computed at run time, never committed."""
import datetime as dt
import random
import shutil

import duckdb
import pytest

from pipeline.errors import DataRefused
from pipeline.ingest import personnummer as pn
from pipeline.ingest import reference

from .conftest import CANONICAL, ingest


def make(birth: dt.date, serial: int = 123, samordning: bool = False, sep: str = "-",
         century: bool = False) -> str:
    """A valid personnummer (or samordningsnummer) for `birth`, computed with the Luhn rule."""
    day = birth.day + (60 if samordning else 0)
    yymmdd = f"{birth.year % 100:02d}{birth.month:02d}{day:02d}"
    nine = f"{yymmdd}{serial:03d}"
    ten = nine + str(pn.luhn_check_digit(nine))
    head = f"{birth.year // 100}{ten[:6]}" if century else ten[:6]
    return f"{head}{sep}{ten[6:]}"


def wrong_check_digit(value: str) -> str:
    return value[:-1] + str((int(value[-1]) + 1) % 10)


def random_valid(rng: random.Random, **kw) -> str:
    birth = dt.date(1920, 1, 1) + dt.timedelta(days=rng.randrange(30000))
    return make(birth, rng.randrange(1000), **kw)


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    reference.install(c)
    return c


def sql_valid(con, values):
    return con.execute("SELECT list_transform(?::VARCHAR[], lambda s: aos_pnr_valid(s))",
                       [values]).fetchone()[0]


def test_valid_forms(con):
    rng = random.Random(1)
    values = []
    for _ in range(50):
        values += [random_valid(rng), random_valid(rng, sep="+"), random_valid(rng, sep=""),
                   random_valid(rng, century=True), random_valid(rng, century=True, sep=""),
                   random_valid(rng, samordning=True), random_valid(rng, samordning=True, century=True, sep="")]
    assert all(pn.is_personnummer(v) for v in values)
    assert all(sql_valid(con, values))


def test_invalid_check_digit_date_and_shape(con):
    rng = random.Random(2)
    good = [random_valid(rng) for _ in range(50)]
    bad = [wrong_check_digit(v) for v in good]
    bad += ["991332-1234", "1234", "abc-defg", "19991399-1234", "17991212" + "1234"]
    bad.append(make(dt.date(1990, 5, 5), samordning=False)[:4] + "65" + "-0000")  # day 65 = 5 +60, bad Luhn
    assert not any(pn.is_personnummer(v) for v in bad)
    assert not any(sql_valid(con, bad))


def test_python_reference_equals_sql(con):
    rng = random.Random(3)
    values = [f"{rng.randrange(10**10):010d}" for _ in range(3000)]
    values += [f"{rng.choice(['19', '20'])}{rng.randrange(10**10):010d}" for _ in range(3000)]
    values += [f"{v[:6]}-{v[6:]}" for v in values[:2000]]
    assert sql_valid(con, values) == [pn.is_personnummer(v) for v in values]


def stage(con, name, columns: dict[str, list[str]]):
    cols = ", ".join(f'unnest(?::VARCHAR[]) AS "{c}"' for c in columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {cols}", list(columns.values()))


def test_detector_rule(con):
    rng = random.Random(4)
    n = 400
    pseudo_numeric = [f"{rng.randrange(10**10):010d}" for _ in range(n)]  # random 10-digit ids
    phones = [f"07{rng.randrange(10**8):08d}" for _ in range(n)]
    labs = [f"{rng.uniform(0, 200):.1f}".replace(".", ",") for _ in range(n)]
    pseudo_text = [f"P{rng.randrange(10**9):09d}" for _ in range(n)]
    long_ids = [f"{rng.randrange(10**12):012d}" for _ in range(n)]
    assert any(pn.is_personnummer(v) for v in pseudo_numeric + phones)  # some look valid by chance...
    stage(con, "clean", {"a": pseudo_numeric, "b": phones, "c": labs, "d": pseudo_text, "e": long_ids})
    pn.check_staged(con, "clean", ["a", "b", "c", "d", "e"], "clean.csv")  # ...but no column flags

    bare10 = [random_valid(rng, sep="") for _ in range(n)]
    mostly = bare10[: n // 2 + 10] + pseudo_numeric[: n // 2 - 10]
    one_with_sep = pseudo_text[:-1] + [random_valid(rng)]
    one_century = labs[:-1] + [random_valid(rng, century=True, sep="")]
    samordning = [random_valid(rng, samordning=True, sep="") for _ in range(n)]
    for col in (bare10, mostly, one_with_sep, one_century, samordning):
        stage(con, "dirty", {"x": labs, "hidden": col})
        with pytest.raises(DataRefused) as err:
            pn.check_staged(con, "dirty", ["x", "hidden"], "dirty.csv")
        msg = str(err.value)
        assert "dirty.csv" in msg and "column hidden" in msg
        assert not any(v in msg for v in col)


def test_ingest_refuses_personnummer_in_any_column(tmp_path):
    rng = random.Random(5)
    dst = tmp_path / "extract"
    shutil.copytree(CANONICAL, dst)
    path = dst / "contacts.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] += ",note"
    values = [random_valid(rng) for _ in lines[1:]]
    lines[1:] = [f"{line},{v}" for line, v in zip(lines[1:], values)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "aos.duckdb"
    with pytest.raises(DataRefused) as err:
        ingest(dst, db)
    msg = str(err.value)
    assert "contacts.csv" in msg and "column note" in msg and "personnummer" in msg
    assert not any(v in msg for v in values)
    assert not db.exists()  # a refused ingest into a new database leaves no file


def test_ingest_refuses_personnummer_as_patient_id_mapped(tmp_path):
    """The check runs after mapping renames, on every column."""
    rng = random.Random(6)
    ids = [random_valid(rng, century=True, sep="") for _ in range(3)]
    (tmp_path / "pat.csv").write_text("pnr,fodar,kon,vc\n" + "".join(
        f"{i},1950,F,u\n" for i in ids), encoding="utf-8")
    (tmp_path / "contacts.csv").write_text("patient_id,contact_date\n", encoding="utf-8")
    (tmp_path / "lab_results.csv").write_text("patient_id,sample_date,analyte,value,unit\n", encoding="utf-8")
    mapping = tmp_path / "m.toml"
    mapping.write_text('[tables.patients]\nfile = "pat"\n[tables.patients.columns]\npnr = "patient_id"\n'
                       'fodar = "birth_year"\nkon = "sex"\nvc = "care_unit_id"\n', encoding="utf-8")
    with pytest.raises(DataRefused) as err:
        ingest(tmp_path, tmp_path / "aos.duckdb", mapping=mapping)
    assert "pat.csv: column patient_id" in str(err.value)
    assert not any(i in str(err.value) for i in ids)
