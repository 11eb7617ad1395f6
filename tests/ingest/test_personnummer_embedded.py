"""Personnummer embedded in free text (SPEC §5, issue 9): the SQL scan of staged columns finds the
same candidates as the Python reference, anywhere in a cell, bounded by non-digits."""
import random

import pytest

from pipeline.errors import DataRefused
from pipeline.ingest import personnummer as pn

from .test_personnummer import con, random_valid, stage  # noqa: F401 (con is a fixture)


def sql_counts(con, values):
    stage(con, "t", {"v": values})
    row = con.execute(pn.column_counts_sql("t", ["v"])).fetchall()
    return tuple(row[0][1:]) if row else (0, 0, 0, 0)


def python_counts(values):
    cands = [c for v in values for c in pn.candidates(v)]
    digits = [c.replace("-", "").replace("+", "") for c in cands]
    return (sum(c != d and pn.is_personnummer(c) for c, d in zip(cands, digits)),
            sum(c == d and len(d) == 12 and pn.is_personnummer(c) for c, d in zip(cands, digits)),
            sum(len(c) == 10 for c in cands),
            sum(len(c) == 10 and pn.is_personnummer(c) for c in cands))


def test_candidates_are_bounded_by_non_digits():
    rng = random.Random(11)
    p12 = random_valid(rng, century=True)
    p10 = random_valid(rng)
    assert pn.candidates(f"R634 pnr {p12}") == [p12]
    assert pn.candidates(f"smd:{p10};") == [p10]
    assert pn.candidates(f"5-{p12}x") == [p12]  # a '-' before is a non-digit
    assert pn.candidates(f"9{p12}") == []  # a longer digit run is not a personnummer
    assert pn.candidates(f"{p12}-1") == [p12]
    assert pn.candidates("2025-06-30 12:00") == [] and pn.candidates("20250630") == []


def test_sql_equals_python_on_random_text(con):
    rng = random.Random(12)
    pieces = ["", " ", "-", "+", "x", ":", "12", "2025-06-30", "R63.4"]
    values = []
    for _ in range(3000):
        parts = [rng.choice(pieces) for _ in range(rng.randrange(4))]
        kind = rng.randrange(4)
        if kind == 0:
            parts.insert(rng.randrange(len(parts) + 1), random_valid(rng, century=rng.random() < 0.5,
                                                                     sep=rng.choice(["-", "+", ""])))
        elif kind == 1:
            parts.insert(rng.randrange(len(parts) + 1), f"{rng.randrange(10 ** 10):010d}")
        values.append("".join(parts))
    assert sql_counts(con, values) == python_counts(values)


@pytest.mark.parametrize("template", ["R634 pnr {}", "smd:{}", "{}x", "g/L {}", "id {} (see note)"])
def test_embedded_number_flags_the_column(con, template):
    rng = random.Random(13)
    clean = [f"note {i}" for i in range(200)]
    p = random_valid(rng, century=True, samordning=True)
    stage(con, "dirty", {"a": clean, "b": clean[:-1] + [template.format(p)]})
    with pytest.raises(DataRefused) as err:
        pn.check_staged(con, "dirty", ["a", "b"], "d.csv")
    assert "d.csv: column b" in str(err.value) and p not in str(err.value)


def test_a_uuid_is_an_identifier_not_text(con):
    """OMOP/Synthea source values are UUIDs; a hex group pair that happens to be a valid
    YYMMDD-NNNN (it was, once, in Eunomia's visit_occurrence) must not refuse the file, while
    the same number in text still does."""
    rng = random.Random(5)
    p10 = random_valid(rng)
    uuid = f"ab{p10[:6]}-{p10[-4:]}-a69a-ca36-d508f1f31852"
    assert pn.is_personnummer(f"{p10[:6]}-{p10[-4:]}")
    assert pn.candidates(uuid) == []
    assert sql_counts(con, [uuid]) == (0, 0, 0, 0)
    assert sql_counts(con, [f"visit a{p10[:6]}-{p10[-4:]}"])[0] == 1
