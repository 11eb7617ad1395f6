"""Issue 9, finding 2: personnummer hidden in odd places refuse the ingest (exit 1), the message
names the place and never the number, and nothing is written. Numbers are computed here."""
from __future__ import annotations

import datetime as dt
import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.ingest.personnummer import contains_personnummer, is_personnummer

from .hostile import TOML, aos, personnummer, write_csv, write_extract

RNG = random.Random(909)


def _pnr(**kw) -> str:
    birth = dt.date(1925, 1, 1) + dt.timedelta(days=RNG.randrange(30000))
    return personnummer(birth, RNG.randrange(1000), **kw)


def _forms(p: str) -> list[str]:
    """Every way the number could be echoed: as written, digits only, the last 10 digits."""
    digits = p.replace("-", "").replace("+", "")
    return [p, digits, digits[-10:], digits[-10:-4] + "-" + digits[-4:]]


def _add_row(path, line: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(line + "\n")


def cell(table, column):
    def plant(ext, p):
        if table == "diagnoses":
            write_csv(ext / "diagnoses.csv", ["patient_id", "diagnosis_date", "icd10"],
                      [["P00000", "2025-06-03", "R53.1"], ["P00001", "2025-06-03", column.format(p)]])
        else:
            _add_row(ext / "lab_results.csv", column.format(p))
        return f"{table}.csv"
    return plant


def toml_value(ext, p):
    (ext / "extract.toml").write_text(TOML.replace("Testregion", f"Testregion {p}"), encoding="utf-8")
    return "extract.toml: region"


def toml_key(ext, p):
    (ext / "extract.toml").write_text(TOML + f'"{p}" = 1\n', encoding="utf-8")
    return "extract.toml: (a key with a digit run)"


def file_name(ext, p):
    (ext / f"notes {p}.txt").write_text("x\n", encoding="utf-8")
    return "a file name holds a personnummer"


def headerless(ext, p):
    path = ext / "patients.csv"
    path.write_text("\n".join(path.read_text(encoding="utf-8").splitlines()[1:]).replace("P00000", p, 1) + "\n",
                    encoding="utf-8")
    return "patients.csv: the first row is not a header"


def parquet_header(ext, p):
    pq.write_table(pa.table({"patient_id": ["P00000"], "diagnosis_date": ["2025-06-03"], "icd10": ["R53.1"],
                             f"note {p}": ["x"]}), ext / "diagnoses.parquet")
    return "diagnoses.parquet: the first row is not a header"


PLACES = {
    "free text in a code": (cell("diagnoses", "R634 pnr {}"), dict(century=True)),
    "samordningsnummer after a prefix": (cell("diagnoses", "smd:{}"), dict(samordning=True)),
    "bare samordningsnummer in text": (cell("diagnoses", "smd:{}"), dict(samordning=True, sep="")),
    "12 digits then text in a lab value": (cell("lab_results", "P00000,2025-06-05,crp,{}x,mg/L"),
                                           dict(century=True, sep="")),
    "inside a unit": (cell("lab_results", "P00000,2025-06-05,crp,3,g/L {}"), dict(century=True)),
    "plus separator (over 100 years)": (cell("diagnoses", "id={};"), dict(sep="+")),
    "extract.toml value": (toml_value, {}),
    "extract.toml key": (toml_key, dict(sep="")),
    "file name": (file_name, {}),
    "headerless patients.csv": (headerless, dict(century=True, sep="")),
    "Parquet column name": (parquet_header, {}),
}


@pytest.mark.parametrize("place", PLACES)
def test_personnummer_refused_without_echo(place, tmp_path):
    plant, kw = PLACES[place]
    ext = tmp_path / "extract"
    write_extract(ext, ["VC1", "VC2"])
    p = _pnr(**kw)
    assert is_personnummer(p)
    where = plant(ext, p)
    db, out = tmp_path / "aos.duckdb", tmp_path / "out"
    r = aos("run", ext, "--db", db, "--month", "2025-06", "--out", out)
    assert r.returncode == 1, r.stderr[-2000:]
    assert where in r.stderr and "personnummer" in r.stderr
    for form in _forms(p):
        assert form not in r.stdout + r.stderr
    assert not db.exists() and not (out / "releasable").exists()


def test_mapping_key_and_value(tmp_path):
    ext = tmp_path / "extract"
    write_extract(ext, ["VC1"])
    p = _pnr(sep="")
    for body, where in ((f'[tables.patients.columns]\n"{p}" = "patient_id"\n',
                         "tables.patients.columns.(a key with a digit run)"),
                        (f'[tables.patients.values.sex]\n"X" = "{p}"\n', "tables.patients.values.sex.X")):
        m = tmp_path / "map.toml"
        m.write_text(body, encoding="utf-8")
        r = aos("ingest", ext, "--db", tmp_path / "aos.duckdb", "--mapping", m)
        assert r.returncode == 1 and where in r.stderr, r.stderr
        assert not any(f in r.stderr + r.stdout for f in _forms(p))


def test_unknown_key_with_digits_is_not_echoed(tmp_path):
    ext = tmp_path / "extract"
    write_extract(ext, ["VC1"])
    (ext / "extract.toml").write_text(TOML + 'note_1234567 = 1\n', encoding="utf-8")
    r = aos("ingest", ext, "--db", tmp_path / "aos.duckdb")
    assert r.returncode == 1 and "unknown key" in r.stderr and "1234567" not in r.stderr


@pytest.mark.parametrize("region", ["Region\x1b[31mRed", "R\u202egeR", "x" * 101, "   "])
def test_region_must_be_plain_text(region, tmp_path):
    ext = tmp_path / "extract"
    write_extract(ext, ["VC1"])
    (ext / "extract.toml").write_text(TOML.replace('"Testregion"', '"' + region.replace("\x1b", "\\u001b") + '"'),
                                      encoding="utf-8")
    r = aos("ingest", ext, "--db", tmp_path / "aos.duckdb")
    assert r.returncode == 1 and "extract.toml: region" in r.stderr
    assert region not in r.stderr


def test_clean_inputs_are_not_refused():
    """No false alarm on what extracts are full of: ISO dates and times, decimal numbers, long
    lab ids, short codes."""
    for text in ["2025-06-30", "2025-06-30T12:00:00", "20250630", "12,5",
                 "P00000001", "R63.4", "lab 1234567890123", "1.5e-10", "ref 3-10"]:
        assert not contains_personnummer(text), text
