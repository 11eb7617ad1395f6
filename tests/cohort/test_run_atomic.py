"""`aos run` is atomic across ingest, cohort, outputs and report (SPEC §7)."""
import hashlib
from pathlib import Path

from pipeline import cli
from pipeline.paths import REPO_DIR

FIXTURE = REPO_DIR / "tests" / "fixtures" / "ingest" / "canonical"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree(out: Path) -> dict:
    return {str(p.relative_to(out)): _digest(p) for p in sorted(out.rglob("*")) if p.is_file()}


def test_failed_report_leaves_database_and_outputs_as_they_were(tmp_path, monkeypatch):
    db, out = tmp_path / "aos.duckdb", tmp_path / "out"
    assert cli.main(["run", str(FIXTURE), "--month", "2025-03", "--db", str(db),
                     "--out", str(out), "--quiet", "--no-report"]) == 0
    before_db, before_out = _digest(db), _tree(out)
    assert "sensitive/review_list.csv" in before_out

    import pipeline.report as report

    def boom(*a, **k):
        raise RuntimeError("simulated crash in the report step")

    monkeypatch.setattr(report, "write_report", boom)
    assert cli.main(["run", str(FIXTURE), "--month", "2025-01", "--db", str(db),
                     "--out", str(out), "--quiet"]) == 3  # internal error
    assert _digest(db) == before_db
    assert _tree(out) == before_out
    assert not list(tmp_path.glob(".out.run-*")), "staging directory left behind"


def test_failed_first_run_leaves_no_database(tmp_path, monkeypatch):
    db, out = tmp_path / "aos.duckdb", tmp_path / "out"
    import pipeline.report as report

    monkeypatch.setattr(report, "write_report", lambda *a, **k: 1 / 0)
    assert cli.main(["run", str(FIXTURE), "--month", "2025-03", "--db", str(db), "--out", str(out),
                     "--quiet"]) == 3  # internal error
    assert not db.exists()
    assert not out.exists() or not any(out.iterdir())
