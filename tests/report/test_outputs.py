"""The report's outputs agree with each other, hold no small count, and read back."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import openpyxl
import pytest

from pipeline.cli import main as aos
from pipeline.report.messages import Messages, catalogue

from .fixture_db import REPORT_MONTH
from .scan import COUNT_COLUMNS, DERIVED_COLUMNS, NUMBER, decimals, html_cells, parse_number, read_csv

SHEETS = {"missed_opportunities": "missed", "attrition_region": "attrition"}
SNAPSHOT = Path(__file__).parent / "snapshots" / "headline.json"
RELEASABLE = ["measures", "yield", "yield_sites", "missed_opportunities", "attrition_region", "data_quality",
              "completeness"]


def test_measures_csv_has_the_spec_columns(report_en):
    rows = read_csv(report_en / "releasable" / "measures.csv")
    assert list(rows[0]) == ["measure", "month", "group_type", "group", "numerator", "denominator",
                             "ratio", "suppressed"]
    assert {r["suppressed"] for r in rows} <= {"true", "false"}
    assert all(re.fullmatch(r"\d{4}-\d{2}(/\d{4}-\d{2})?", r["month"]) for r in rows)


@pytest.mark.parametrize("which,lang", [("report_en", "en"), ("report_sv", "sv")])
def test_every_number_in_the_html_is_a_csv_cell(which, lang, request):
    out = request.getfixturevalue(which)
    mark = Messages(lang)("suppressed_mark")
    csvs = {}
    checked = 0
    for tag, cls, src, text in html_cells(out / "report.html").cells:
        if not src:
            assert not (cls in ("count", "num", "pct")), f"number without a source: {text}"
            continue
        name, row, col = src.split(":")
        rows = csvs.setdefault(name, read_csv(out / "releasable" / name))
        rec = rows[int(row) - 1]
        text = text.strip()
        if text == mark:
            assert rec[col] == "" and rec["suppressed"] == "true", src
        elif text == "–":
            assert rec[col] == "", src
        else:
            shown = parse_number(text, lang)
            value = float(rec[col]) * (100 if cls == "pct" else 1)
            assert shown == pytest.approx(value, abs=0.5 * 10 ** -decimals(text, lang) + 1e-9), src
            checked += 1
    assert checked > 100


def test_region_is_the_sum_of_its_units(report_raw):
    rows = read_csv(report_raw / "releasable" / "measures.csv")
    for measure in ("listed_adults", "new_episodes_per_1000", "aos_starts_per_1000"):
        by_month = {}
        for r in rows:
            if r["measure"] == measure:
                by_month.setdefault(r["month"], {})[r["group"]] = int(r["numerator"])
        for month, groups in by_month.items():
            region = groups.pop("ALL")
            assert region == sum(groups.values()), (measure, month)


def _pairs(out_sup: Path, out_raw: Path, name: str):
    sup = read_csv(out_sup / "releasable" / f"{name}.csv")
    raw = read_csv(out_raw / "releasable" / f"{name}.csv")
    assert len(sup) == len(raw)
    return zip(sup, raw)


def test_no_small_count_or_ratio_built_on_one_in_any_csv(report_en, report_raw):
    secondary = 0
    for name in RELEASABLE:
        for s, r in _pairs(report_en, report_raw, name):
            counts = [c for c in s if c in COUNT_COLUMNS or (name == "missed_opportunities" and c == "value"
                                                              and s["item"] != "median_lead_days")]
            for c in counts:
                assert s[c] == "" or not 1 <= float(s[c]) <= 4, (name, c, s)
                if s[c] == "" and r[c] != "":
                    assert s["suppressed"] == "true", (name, s)  # blank only when suppressed
                    secondary += float(r[c]) > 4
            if any(r[c] != "" and 1 <= float(r[c]) <= 4 for c in counts):
                assert s["suppressed"] == "true"
                for c in DERIVED_COLUMNS & set(s):
                    assert s[c] == "", (name, c, s)  # no ratio built on a small count
    for s in read_csv(report_en / "releasable" / "measures.csv"):  # nor a small complement
        if s["numerator"] and s["denominator"]:
            assert not 1 <= int(s["denominator"]) - int(s["numerator"]) <= 4, s
    for s in read_csv(report_en / "releasable" / "yield.csv"):
        if s["n"] and s["cancers"]:
            assert not 1 <= int(s["n"]) - int(s["cancers"]) <= 4, s
    for s in read_csv(report_en / "releasable" / "yield.csv"):  # no verdict on a hidden count
        if s["suppressed"] == "true" and s["follow_up_complete"] == "true":
            assert s["verdict"] == "suppressed", s
    assert secondary > 0, "the fixture must exercise secondary suppression"


def test_no_small_count_in_the_html(report_en, report_raw):
    mark = Messages("en")("suppressed_mark")
    raw = {}
    for tag, cls, src, text in html_cells(report_en / "report.html").cells:
        text = text.strip()
        if cls == "count":
            assert not 1 <= parse_number(text, "en") <= 4, (src, text)
        if src and cls in ("num", "pct"):  # a ratio: blank when built on a small count
            name, row, col = src.split(":")
            rec = raw.setdefault(name, read_csv(report_raw / "releasable" / name))[int(row) - 1]
            small = [c for c in COUNT_COLUMNS & set(rec) if rec[c] and 1 <= float(rec[c]) <= 4]
            if small:
                assert text == mark, (src, text)
        if NUMBER.match(text) and "%" not in text and "." not in text and cls not in ("txt",):
            assert not 1 <= parse_number(text, "en") <= 4, (src, text)


def test_no_small_count_in_the_xlsx(report_en, report_raw):
    wb = openpyxl.load_workbook(report_en / "report.xlsx")
    raw_wb = openpyxl.load_workbook(report_raw / "report.xlsx")
    for name in RELEASABLE:
        sheet = SHEETS.get(name, name)
        ws, raw_ws = wb[sheet], raw_wb[sheet]
        cols = [r["name"] for r in [{"name": c} for c in read_csv(report_en / "releasable" / f"{name}.csv")[0]]]
        for row, raw_row in zip(ws.iter_rows(min_row=2, values_only=True),
                                raw_ws.iter_rows(min_row=2, values_only=True)):
            rec, raw_rec = dict(zip(cols, row)), dict(zip(cols, raw_row))
            small = False
            for c in COUNT_COLUMNS & set(cols):
                v = rec[c]
                assert not (isinstance(v, (int, float)) and 1 <= v <= 4), (name, c, row)
                small |= isinstance(raw_rec[c], (int, float)) and 1 <= raw_rec[c] <= 4
            if small:
                for c in DERIVED_COLUMNS & set(cols):
                    assert not isinstance(rec[c], (int, float)), (name, c, row)


def test_xlsx_reads_back_with_frozen_headers_and_the_csv_values(report_en):
    wb = openpyxl.load_workbook(report_en / "report.xlsx")
    assert wb.sheetnames[0] == "info"
    msg = Messages("en")
    for name in RELEASABLE:
        ws = wb[SHEETS.get(name, name)]
        rows = read_csv(report_en / "releasable" / f"{name}.csv")
        assert ws.freeze_panes == "A2"
        cols = list(rows[0]) if rows else []
        head = [c.value for c in ws[1]]
        labels = {msg.get("x_" + c + "_label", "") for c in cols}  # beside their codes
        keep = [j for j, h in enumerate(head) if h not in labels]
        assert [head[j] for j in keep][: len(cols)] == [msg.get("x_" + c, c) for c in cols]
        for rec, xrow in zip(rows, ws.iter_rows(min_row=2, values_only=True)):
            for c, v in zip(cols, [xrow[j] for j in keep]):
                if c in COUNT_COLUMNS | DERIVED_COLUMNS and rec[c] != "":
                    assert float(v) == pytest.approx(float(rec[c])), (name, c)
        assert ws.max_row == len(rows) + 1
    assert "(count)" in msg("x_numerator")  # headers carry units


def test_no_suppression_stamps_a_warning(report_raw, report_en):
    assert 'id="no-suppression-warning"' in (report_raw / "report.html").read_text(encoding="utf-8")
    assert 'id="no-suppression-warning"' not in (report_en / "report.html").read_text(encoding="utf-8")
    wb = openpyxl.load_workbook(report_raw / "report.xlsx")
    assert "INTERNAL USE ONLY" in wb["info"]["A1"].value
    assert "INTERNAL USE ONLY" in wb["measures"].oddHeader.center.text


def test_html_is_self_contained(report_en):
    text = (report_en / "report.html").read_text(encoding="utf-8")
    p = html_cells(report_en / "report.html")
    assert not any(tag in ("script", "link", "iframe") for tag, _ in p.tags)
    imgs = [a for tag, a in p.tags if tag == "img"]
    assert len(imgs) == len(list((report_en / "figures").glob("*.png"))) == 6
    assert all(a["src"].startswith("data:image/png;base64,") for a in imgs)
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", text)
    assert "@import" not in text and "url(" not in text


def test_no_patient_level_data_in_any_output(report_en, fixture_db):
    texts = [(report_en / "report.html").read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in (report_en / "releasable").glob("*.csv")]
    wb = openpyxl.load_workbook(report_en / "report.xlsx")
    texts += [str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row]
    assert not any(re.search(r"\bP\d{5}\b", t) for t in texts)


def test_catalogues_have_the_same_keys():
    assert set(catalogue("sv")) == set(catalogue("en"))
    assert all(catalogue("sv").values()) and all(catalogue("en").values())


def test_swedish_is_the_default_language(report_sv):
    text = (report_sv / "report.html").read_text(encoding="utf-8")
    assert '<html lang="sv">' in text and "Månatlig".lower() in text.lower()


def headline(out: Path, month: str = REPORT_MONTH) -> dict:
    """The headline numbers of a report: region measures of `month` and the pooled yields."""
    m = read_csv(out / "releasable" / "measures.csv")
    y = read_csv(out / "releasable" / "yield.csv")
    head = {f"{r['measure']}:{part}": r[part] for r in m
            if r["month"] == month and r["group_type"] == "region" and r["measure"] in
            ("listed_adults", "new_episodes_per_1000", "aos_starts_per_1000", "on_review_list_per_1000")
            for part in ("numerator", "ratio")}
    for r in y:
        if r["group_type"] == "region" and "/" in r["period"]:
            head[f"yield:{r['yield_type']}:{r['window_months']}"] = [
                r["period"], r["n"], r["cancers"], r["yield"], r["ci_low"], r["ci_high"], r["verdict"]]
    return head


def test_headline_snapshot(report_en):
    """Change on purpose only: AOS_UPDATE_SNAPSHOTS=1 rewrites the snapshot."""
    got = headline(report_en)
    if os.environ.get("AOS_UPDATE_SNAPSHOTS") == "1" or not SNAPSHOT.exists():
        if not os.environ.get("AOS_UPDATE_SNAPSHOTS") == "1":
            pytest.fail(f"{SNAPSHOT} missing: run with AOS_UPDATE_SNAPSHOTS=1 to create it")
        SNAPSHOT.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert got == json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def test_cli_exit_codes_and_nothing_half_written(fixture_db, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("pipeline.cli.COMMANDS", ("report",))  # other commands are not ours
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("old")
    assert aos(["report", "--month", "2025-13", "--db", str(fixture_db), "--out", str(out)]) == 2
    assert aos(["report", "--month", "2025-06", "--db", str(tmp_path / "nope.duckdb"), "--out", str(out)]) == 2
    assert aos(["report", "--month", "2019-01", "--db", str(fixture_db), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "eligible_adults" in err and str(fixture_db) in err
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert aos(["report", "--month", REPORT_MONTH, "--db", str(fixture_db), "--out", str(out),
                "--lang", "en"]) == 0
    visible = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert visible == ["current", "figures", "keep.txt", "releasable", "report.html", "report.xlsx",
                       "runs"]  # names are links through current/ (docs/architecture.md)


@pytest.mark.parametrize("which", ["report_en", "report_sv"])
def test_every_message_placeholder_is_filled(which, request):
    body = (request.getfixturevalue(which) / "report.html").read_text(encoding="utf-8").split("</style>", 1)[1]
    assert not re.search(r"\{\w+\}", body)


def test_report_renders_inside_an_open_write_transaction(fixture_db, tmp_path):
    """`aos run` renders the report on its own connection, inside its uncommitted transaction."""
    import duckdb

    from pipeline.report.build import parse_month, render

    db = tmp_path / "copy.duckdb"
    db.write_bytes(fixture_db.read_bytes())
    con = duckdb.connect(str(db))
    try:
        con.execute("BEGIN TRANSACTION")
        render(con, db, parse_month(REPORT_MONTH), tmp_path / "stage", lang="en")
        con.execute("ROLLBACK")
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
        assert not any(t.startswith("rpt_") for t in tables)  # the report only makes TEMP tables
    finally:
        con.close()
    assert (tmp_path / "stage" / "report.html").exists()
