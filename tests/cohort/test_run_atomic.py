"""`aos run` is atomic across ingest, cohort, outputs and report (SPEC §7); more attacks in
tests/reliability/."""
from pipeline import cli
from pipeline.paths import REPO_DIR
from tests.reliability.state import assert_one_run, db_state, no_staging, tree

FIXTURE = REPO_DIR / "tests" / "fixtures" / "ingest" / "canonical"


def test_failed_report_leaves_database_and_outputs_as_they_were(tmp_path, monkeypatch):
    db, out = tmp_path / "aos.duckdb", tmp_path / "out"
    assert cli.main(["run", str(FIXTURE), "--month", "2025-03", "--db", str(db),
                     "--out", str(out), "--quiet", "--no-report"]) == 0
    before_db, before_out = db_state(db), tree(out)
    assert "sensitive/review_list.csv" in before_out
    run = assert_one_run(out)

    import pipeline.report.build as build

    def boom(*a, **k):
        raise RuntimeError("simulated crash in the report step")

    monkeypatch.setattr(build, "render", boom)
    assert cli.main(["run", str(FIXTURE), "--month", "2025-01", "--db", str(db),
                     "--out", str(out), "--quiet"]) == 3  # internal error
    assert db_state(db) == before_db
    assert tree(out) == before_out
    assert assert_one_run(out) == run
    no_staging(out)
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".log") == [
        "aos.duckdb", "aos.duckdb.lock", "out"]  # nothing staged beside --out


def test_failed_first_run_leaves_no_database(tmp_path, monkeypatch):
    db, out = tmp_path / "aos.duckdb", tmp_path / "out"
    import pipeline.report.build as build

    monkeypatch.setattr(build, "render", lambda *a, **k: 1 / 0)
    assert cli.main(["run", str(FIXTURE), "--month", "2025-03", "--db", str(db), "--out", str(out),
                     "--quiet"]) == 3  # internal error
    assert not db.exists()
    assert tree(out) == {}
    no_staging(out)
