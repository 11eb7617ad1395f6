"""Issue 11: a ragged file is refused naming the first bad line, its field count and how many
lines are ragged, never the line's content."""
import gzip

import pytest

import pipeline.cli as cli

from .v11 import write_extract

HEADER = "patient_id,sample_date,analyte,value,unit,ref_low,ref_high\n"
SECRET = "Qx7secretcell"


def good(i: int) -> str:
    return f"p{1 + i % 2},2025-01-{1 + i % 28:02d},hb,{100 + i % 50},g/L,,\n"


def refused(tmp_path, capsys, name: str, data: bytes) -> str:
    x = write_extract(tmp_path / "x", lab_results=None)
    (x / name).write_bytes(data)
    assert cli.main(["ingest", str(x), "--db", str(tmp_path / "a.duckdb")]) == 1
    err = capsys.readouterr().err
    assert SECRET not in err
    return err


def test_semicolon_lines_among_comma_lines(tmp_path, capsys):
    body = [good(i) for i in range(1500)]
    for i in (1201, 1300, 1402):  # file lines 1,203 / 1,302 / 1,404 (the header is line 1)
        body[i] = f"p1;2025-01-01;hb;{SECRET};g/L\n"
    err = refused(tmp_path, capsys, "lab_results.csv", (HEADER + "".join(body)).encode())
    assert "lab_results.csv: line 1,203 has 1 fields, expected 7 (3 lines are ragged)" in err


def test_truncated_last_line(tmp_path, capsys):
    body = "".join(good(i) for i in range(20)) + f"p1,2025-01-0{SECRET}"
    err = refused(tmp_path, capsys, "lab_results.csv", (HEADER + body).encode())
    assert "lab_results.csv: line 22 has 2 fields, expected 7 (1 line is ragged)" in err


def test_line_numbers_count_quoted_newlines_gzip_and_latin1(tmp_path, capsys):
    body = (good(0) + 'p1,2025-01-02,hb,130,"g/L\nsplit",,\n' + good(2)
            + f"p1,2025-01-03,hb,130,g/L,,,{SECRET},é\n")
    err = refused(tmp_path, capsys, "lab_results.csv.gz", gzip.compress((HEADER + body).encode("latin-1")))
    assert "lab_results.csv.gz: line 6 has 9 fields, expected 7 (1 line is ragged)" in err


@pytest.mark.parametrize("sep", [";", "\t"])
def test_other_separators(tmp_path, capsys, sep):
    text = (HEADER + good(0) + good(1)).replace(",", sep) + f"p1{sep}{SECRET}\n"
    err = refused(tmp_path, capsys, "lab_results.csv", text.encode())
    assert "line 4 has 2 fields, expected 7 (1 line is ragged)" in err
