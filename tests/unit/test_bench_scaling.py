"""The scaling-curve harness (benchmarks/bench_scaling.py) on small made-up inputs: fits, the
core-scaling arithmetic, the saved JSON, skipping, the extract cut and the generated doc."""
import json

import duckdb
import pytest

from benchmarks import bench_scaling as bs

M = 1_000_000


def made_up_run(n: int, seconds_per_m: dict, version: str = "abc1234", one_core: dict | None = None,
                power: float = 1.0) -> dict:
    """A run as measure_size records it; step s takes seconds_per_m[s] * (n/1e6)^power of wall
    time and 1.5 times that of CPU time."""
    steps = {s: {"seconds": seconds_per_m[s] * (n / M) ** power, "peak_mb": 500 + 1000 * n // M,
                 "cpu_seconds": 1.5 * seconds_per_m[s] * (n / M) ** power} for s in bs.STEPS}
    return {"patients": n, "measured_at": "2026-01-02T03:04:05+00:00", "load_avg_1min_end": 1.5,
            "machine": {"cores": 2, "ram_gb": 16.0, "duckdb": "9.9.9", "python": "3.11.0",
                        "platform": "test", "git_head": "abc1234", "code_version": version,
                        "code_tree": "tree-" + version},
            "steps": steps, "one_core": one_core or {}, "setup": {}, "total_seconds": 10 + 100 * n / M,
            "disk": {"extract_mb": 150.0 * n / M, "db_mb": 900.0 * n / M},
            "ratio_to_raw_scan": {s: round(v["seconds"] / steps["raw_scan"]["seconds"], 1)
                                  for s, v in steps.items()}}


PER_M = {"raw_scan": 2.0, "plain_copy": 8.0, "ingest": 20.0, "month_write": 3.0, "one_month": 4.0,
         "backfill_write": 32.0, "backfill": 40.0, "evaluate": 60.0}


def test_fit_recovers_slope_intercept_and_exponent():
    x = [0.25, 0.5, 1, 2, 3]
    line = bs.fit_line(x, [5 + 7 * v for v in x])
    assert line["slope"] == pytest.approx(7) and line["intercept"] == pytest.approx(5)
    assert line["r2"] == pytest.approx(1)
    assert bs.fit_line(x, [3 * v for v in x])["exponent"] == pytest.approx(1)
    square = bs.fit_line(x, [3 * v * v for v in x])
    assert square["exponent"] == pytest.approx(2)
    # the prediction is the cautious (larger) of the two models
    assert bs.predict(square, 10) == pytest.approx(300)
    assert bs.predict(square, 10) > square["intercept"] + square["slope"] * 10


def test_parallel_fraction_and_amdahl():
    assert bs.parallel_fraction(10, 5, 2) == pytest.approx(1)  # perfect speed-up
    assert bs.parallel_fraction(10, 10, 2) == pytest.approx(0)  # no speed-up
    assert bs.parallel_fraction(10, 12, 2) == 0  # slower on more cores: clamped
    p = bs.parallel_fraction(10, 6, 2)
    assert p == pytest.approx(0.8)
    assert bs.on_cores(10, p, 2) == pytest.approx(6)
    assert bs.on_cores(10, p, 16) == pytest.approx(10 * (0.2 + 0.8 / 16))


def test_sizes_from_environment(monkeypatch):
    monkeypatch.delenv("AOS_BENCH_SIZES", raising=False)
    assert bs.sizes() == list(bs.SIZES)
    monkeypatch.setenv("AOS_BENCH_SIZES", "500000,250000, 500000")
    assert bs.sizes() == [250_000, 500_000]
    monkeypatch.setenv("AOS_BENCH_SIZES", "none")
    assert bs.sizes() == []
    assert bs.main() is None  # skipped: run_all writes nothing


def test_save_fits_extrapolates_and_skips_measured_sizes(tmp_path):
    one_core = {"raw_scan": {"seconds": 0.5, "peak_mb": 1}, "ingest": {"seconds": 10, "peak_mb": 1}}
    runs = {str(n): made_up_run(n, PER_M, one_core=one_core if n == 250_000 else None)
            for n in (250_000, 1_000_000, 2_000_000)}
    runs["250000"]["steps"]["ingest"]["seconds"] = 5.0  # 10 s pinned to 1 core: p = 1
    path = tmp_path / "scaling.json"
    bs.save({"runs": runs}, path)
    doc = bs.load(path)
    assert doc["fit"]["evaluate"]["seconds"]["slope"] == pytest.approx(60)
    assert doc["fit"]["evaluate"]["cpu_seconds"]["slope"] == pytest.approx(90)
    assert doc["fit"]["db_mb"]["slope"] == pytest.approx(900)
    nat = doc["national"]
    assert nat["disk_mb"]["db_mb"] == pytest.approx(900 * 10.5, abs=1)
    # CPU 1.5 x wall on 2 cores: p = 2 (1 - 1/1.5); the pinned run shows more for ingest
    assert nat["steps"]["evaluate"]["parallel_fraction"] == pytest.approx(2 / 3, abs=0.01)
    assert nat["steps"]["ingest"]["parallel_fraction"] == 1.0
    ev = nat["steps"]["evaluate"]
    work = 90 * 10.5
    assert ev["cpu_seconds"] == pytest.approx(work, rel=1e-3)
    assert ev["seconds_2_cores"] == pytest.approx(work / 1.5, rel=1e-3)  # as measured on 2 cores
    assert ev["seconds_16_cores"] == pytest.approx(work * (1 / 3 + 2 / 3 / 16), rel=1e-3)
    assert ev["seconds_16_cores_ideal"] == pytest.approx(work / 16, rel=1e-3)
    assert ev["wall_seconds_as_measured"] == pytest.approx(60 * 10.5, rel=1e-3)

    assert not bs.should_measure(doc, 1_000_000, "tree-abc1234", force=False)
    assert bs.should_measure(doc, 1_000_000, "tree-abc1234", force=True)
    assert bs.should_measure(doc, 1_000_000, "tree-def5678", force=False)
    assert bs.should_measure(doc, 3_000_000, "tree-abc1234", force=False)
    del doc["runs"]["2000000"]["steps"]["evaluate"]  # a partial size is measured again
    assert bs.should_measure(doc, 2_000_000, "tree-abc1234", force=False)


def test_doc_tables_and_growth_words_come_from_the_json(tmp_path):
    linear = {str(n): made_up_run(n, PER_M) for n in (250_000, 500_000, 1_000_000)}
    text = bs.render({"runs": linear, "fit": bs.fits(linear), "national": bs.national(linear, bs.fits(linear))})
    row = next(line for line in text.splitlines() if line.startswith("| 1,000,000 |"))
    assert "| 2.0 |" in row and "60.0 (30×)" in row
    growth = {line.split("|")[1].strip(): line for line in text.splitlines() if "| linear |" in line}
    assert set(growth) == {bs.LABELS[s] for s in bs.STEPS}
    assert "10.5 M patients" in text
    assert "at 1,000,000 patients:\n\n- aos ingest: 10× one raw scan, CPU 10× (target ≤ 10×)" in text
    assert ("- aos ingest: 10× one raw scan, CPU 10× (target ≤ 10×); storing its rows with nothing "
            "checked or computed (a plain copy of the input) already costs 4.0×, and the step takes 2.5× that") in text
    assert ("- one month (aos run): 2.0× one raw scan, CPU 2.0× (target ≤ 1×); storing its rows with nothing "
            "checked or computed (a copy of the month's stored results) already costs 1.5×, and the step takes 1.3× that") in text
    assert "(a copy of the backfill's stored results) already costs 16×, and the step takes 1.2× that" in text
    # the whole default curve, from a linear fit of the per-size totals: sum of 10 + 100 n
    assert f"about {(10 * len(bs.SIZES) + 100 * sum(bs.SIZES) / M) / 60:.1f} min" in text
    square = {str(n): made_up_run(n, PER_M, power=2) for n in (250_000, 500_000, 1_000_000)}
    text2 = bs.render({"runs": square, "fit": bs.fits(square), "national": {}})
    assert text2.count("| super-linear |") == len(bs.STEPS)
    assert "No scaling run" in bs.render({"runs": {}})
    bs.plot({"runs": linear}, tmp_path / "scaling.png")
    assert (tmp_path / "scaling.png").read_bytes()[:4] == b"\x89PNG"


def test_committed_doc_matches_committed_results():
    if not bs.RESULTS.exists():
        pytest.skip("no scaling.json yet")
    assert bs.DOC.read_text() == bs.render(bs.load()), (
        "docs/performance.md is out of date: run `python -m benchmarks.bench_scaling --doc`")


def test_cut_extract_keeps_what_was_known_at_the_cut(tmp_path):
    src = tmp_path / "synth-3-202201-202512-seed1"
    src.mkdir()
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT * FROM (VALUES
        ('P1', 1950, DATE '2020-01-01', NULL::DATE, DATE '2025-12-10'),
        ('P2', 1960, DATE '2020-01-01', DATE '2025-12-20', NULL::DATE),
        ('P3', 1970, DATE '2025-12-05', NULL::DATE, NULL::DATE))
        t(patient_id, birth_year, listed_from, listed_to, death_date))
        TO '{src}/patients.parquet' (FORMAT parquet)""")
    con.execute(f"""COPY (SELECT * FROM (VALUES ('P1', DATE '2025-11-30'), ('P1', DATE '2025-12-01'),
        ('P3', DATE '2025-11-02')) t(patient_id, contact_date))
        TO '{src}/contacts.parquet' (FORMAT parquet)""")
    (src / "extract.toml").write_text('region = "R"\nextract_date = "2025-12-31"\n'
                                      'data_complete_until = "2025-12-31"\n'
                                      'cancer_register_complete_until = "2025-06-30"\n')
    out = bs.cut_extract(src, "2025-11-30")
    assert out.name == src.name + "-cut202511"
    patients = con.execute(f"SELECT patient_id, listed_to, death_date FROM '{out}/patients.parquet' "
                           "ORDER BY 1").fetchall()
    assert patients == [("P1", None, None), ("P2", None, None)]
    contacts = con.execute(f"SELECT patient_id, CAST(contact_date AS VARCHAR) "
                           f"FROM '{out}/contacts.parquet'").fetchall()
    assert contacts == [("P1", "2025-11-30")]
    toml = (out / "extract.toml").read_text()
    assert 'extract_date = "2025-11-30"' in toml and 'data_complete_until = "2025-11-30"' in toml
    assert 'cancer_register_complete_until = "2025-06-30"' in toml and 'region = "R"' in toml
    assert bs.cut_extract(src, "2025-11-30") == out  # cached
    facts = json.loads(json.dumps(bs.machine()))
    assert facts["cores"] >= 1 and facts["code_tree"].split("+")[0] == bs.code_version()[1].split("+")[0]


def test_plain_copy_stores_every_file_and_leaves_no_database(tmp_path):
    src, work = tmp_path / "extract", tmp_path / "work"
    src.mkdir(), work.mkdir()
    con = duckdb.connect()
    for name, rows in (("a", 1000), ("b", 10)):
        con.execute(f"COPY (SELECT range AS x FROM range({rows})) TO '{src / name}.parquet' (FORMAT parquet)")
    result = bs.plain_copy(src, work)
    assert result["seconds"] > 0 and result["cpu_seconds"] >= 0 and result["peak_mb"] > 0
    assert result["wall"] >= result["seconds"]  # the query time is part of the process's
    assert list(work.iterdir()) == []


def test_result_copy_stores_what_the_step_stored_and_leaves_no_database(tmp_path):
    db, work = tmp_path / "a.duckdb", tmp_path / "work"
    work.mkdir()
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE contacts AS SELECT 'P1' AS patient_id")  # ingested: not copied
        con.execute("CREATE TABLE eligible_adults AS SELECT DATE '2025-11-01' + INTERVAL (i % 2) MONTH "
                    "AS month, 'P' || i AS patient_id FROM range(10) t(i)")
        con.execute("CREATE TABLE agg_pm_contacts AS SELECT 2025 * 12 + 10 + (i % 2) AS mi, i AS n "
                    "FROM range(6) t(i)")  # 2025-11 and 2025-12 by month index
        con.execute("CREATE TABLE agg_state AS SELECT 'k' AS name")  # not kept by month
    month = bs.result_copy(db, work, "2025-12", ["contacts"], "month_write")
    assert month["rows"] == 5 + 3
    assert set(month["tables"]) == {"eligible_adults", "agg_pm_contacts", "agg_state"}
    assert month["tables"]["agg_state"]["rows"] == 0
    everything = bs.result_copy(db, work, None, ["contacts"], "backfill_write")
    assert everything["rows"] == 10 + 6 + 1 and everything["seconds"] > 0
    assert list(work.iterdir()) == []
