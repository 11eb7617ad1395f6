"""Issue 9 findings 3 and 4: SIGKILL at every commit/publish step and at random moments.
After each kill the database is before-or-after, the outputs are all from one run, nothing
sensitive is outside --out, and the next command leaves no staging behind (and publishes a
run that was committed before it was killed)."""
from __future__ import annotations

import random
import shutil
import subprocess
import sys
import time

import duckdb
import pytest

from pipeline import cli
from pipeline.ingest.extract import sha256_file

from .conftest import FIXTURE, MONTH, Paused, aos, env, other_extract
from .state import assert_one_run, first_column, current_run, db_state, no_staging, sensitive_outside, tree

# step -> is the database in the after state once the process is killed there?
RUN_STEPS = {"after_ingest": False, "before_commit": False, "after_commit": True,
             "mid_publish": True}


def _runs(db) -> set[str]:
    return first_column(db, "SELECT run_id FROM aos_runs")


def _next_command(db, out) -> str:
    """The next `aos` command on --out (in process): recovers, then publishes its own run."""
    assert cli.main(["run", "--db", str(db), "--month", MONTH, "--out", str(out), "--quiet",
                     "--no-report"]) == 0
    no_staging(out)
    return assert_one_run(out)


@pytest.mark.parametrize("step", RUN_STEPS)
def test_kill_of_aos_run_at_each_step(copy_of, tmp_path, step):
    db, out = copy_of
    before_db, before_out, before_run = db_state(db), tree(out), current_run(out)
    p = Paused(tmp_path, step, "run", other_extract(tmp_path), "--db", db, "--month", "2025-01",
               "--to", "2025-02", "--out", out, "--quiet")
    p.kill()
    new_runs = _runs(db) - {before_run}
    if RUN_STEPS[step]:
        assert db_state(db) != before_db and len(new_runs) == 1
    else:
        assert db_state(db) == before_db and not new_runs
    assert tree(out) == before_out and assert_one_run(out) == before_run  # old outputs, whole
    assert not sensitive_outside(tmp_path, out)

    latest = _next_command(db, out)
    assert latest not in new_runs
    published = {p.name for p in (out / "runs").iterdir()}
    assert new_runs <= published  # a committed run's outputs were published, not lost
    if RUN_STEPS[step]:
        killed = next(iter(new_runs))
        assert (out / "runs" / killed / "report.html").is_file()


@pytest.mark.parametrize("step", ["report_before_publish", "mid_publish"])
def test_kill_of_aos_report(copy_of, tmp_path, step):
    """Finding 4: a report killed mid-move used to leave figures/ missing or a new
    report.html beside an old report.xlsx."""
    db, out = copy_of
    before_db, before_out, before_run = db_state(db), tree(out), current_run(out)
    p = Paused(tmp_path, step, "report", "--db", db, "--month", MONTH, "--out", out)
    if step == "report_before_publish":
        writer = aos("ingest", FIXTURE, "--db", db, "--quiet")  # the report holds a reader's lock
        assert writer.returncode == 4 and "database busy: aos report (pid" in writer.stderr
    p.kill()
    assert db_state(db) == before_db and tree(out) == before_out
    assert current_run(out) == before_run
    _next_command(db, out)


def test_kills_at_random_moments(copy_of, tmp_path):
    """A few kills at random times of a run with an ingest (the seed is in the message)."""
    db, out = copy_of
    extract = other_extract(tmp_path)
    sha_b = sha256_file(extract / "contacts.csv")
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    for _ in range(3):
        before, before_runs = db_state(db), _runs(db)
        proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "run", str(extract),
                                 "--db", str(db), "--month", "2025-01", "--out", str(out),
                                 "--quiet"], cwd=tmp_path, env=env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(1.0, 6.0))
        proc.kill()
        proc.wait()
        new = _runs(db) - before_runs
        if not new:  # before: nothing of the ingest or the cohort
            assert db_state(db) == before, f"seed {seed}: database neither before nor after"
        else:  # after: the run record, the ingest and the cohort together
            assert len(new) == 1 and sha_b in _shas(db), f"seed {seed}"
        assert_one_run(out)
        assert not sensitive_outside(tmp_path, out), f"seed {seed}"
    _next_command(db, out)


def _shas(db) -> set[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT sha256 FROM ingest_files").fetchall()}
    finally:
        con.close()


def test_committed_run_is_published_by_a_command_on_another_database(copy_of, tmp_path):
    """The next command on --out may use another --db: the killed run's own database is
    opened read-only to tell whether it committed."""
    db, out = copy_of
    other = tmp_path / "other.duckdb"
    shutil.copy2(db, other)
    p = Paused(tmp_path, "after_commit", "run", "--db", db, "--month", "2025-02", "--out", out,
               "--quiet", "--no-report")
    p.kill()
    (killed,) = _runs(db) - _runs(other)
    assert cli.main(["report", "--db", str(other), "--month", MONTH, "--out", str(out)]) == 0
    no_staging(out)
    assert (out / "runs" / killed / "sensitive" / "review_list.csv").is_file()
    assert current_run(out) > killed  # the report was published after the recovered run
