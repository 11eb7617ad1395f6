"""Issue 9 findings 1 and 4: two processes on one database or one --out. The loser exits 4 at
once, names the holder and changes nothing; the winner's data and manifest are its own."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import duckdb

from pipeline.ingest.extract import sha256_file

from .conftest import FIXTURE, MONTH, Paused, aos, other_extract
from .state import assert_one_run, first_column, current_run, db_state, no_staging, tree

BUSY = re.compile(r"^aos \w+: error: (database|output directory) busy: aos run \(pid \d+\) "
                  r"since \d\d:\d\d", re.M)


def _ingested_shas(db) -> set[str]:
    return first_column(db, "SELECT sha256 FROM ingest_files")


def _loser(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 4, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert BUSY.search(result.stderr), result.stderr
    return result.stderr


def test_second_run_on_a_new_database_loses_and_deletes_nothing(tmp_path):
    """Finding 1: the loser used to restore its backup over the winner's ingest, or delete
    the winner's new database; A then exited 0 with B's files in its manifest."""
    db = tmp_path / "aos.duckdb"
    b = other_extract(tmp_path)
    a = Paused(tmp_path, "after_ingest", "run", FIXTURE, "--db", db, "--month", MONTH,
               "--out", tmp_path / "o1", "--quiet", "--no-report")
    _loser(aos("run", b, "--db", db, "--month", MONTH, "--out", tmp_path / "o2", "--quiet"))
    _loser(aos("ingest", b, "--db", db, "--quiet"))
    _loser(aos("evaluate", "--from", "2024-01", "--to", "2024-06", "--db", db, "--out",
               tmp_path / "ev"))
    assert tree(tmp_path / "o2") == {}
    assert db.exists()
    rc, _out, err = a.resume()
    assert rc == 0, err
    shas = _ingested_shas(db)
    assert sha256_file(FIXTURE / "contacts.csv") in shas
    assert sha256_file(b / "contacts.csv") not in shas
    run = assert_one_run(tmp_path / "o1")
    manifest = json.loads((tmp_path / "o1" / "run_manifest.json").read_text(encoding="utf-8"))
    assert {i["sha256"] for i in manifest["inputs"]} == shas
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT run_id FROM aos_runs").fetchall() == [(run,)]
    con.close()


def test_second_writer_on_one_out_loses(copy_of, tmp_path):
    db, out = copy_of
    before, old_run = tree(out), current_run(out)
    a = Paused(tmp_path, "before_commit", "run", "--db", db, "--month", "2025-02",
               "--out", out, "--quiet", "--no-report")
    other_db = tmp_path / "other.duckdb"
    err = _loser(aos("run", FIXTURE, "--db", other_db, "--month", MONTH, "--out", out, "--quiet"))
    assert "output directory busy" in err
    assert not other_db.exists()  # the loser created nothing
    assert tree(out) == before  # a's outputs are not published before its commit
    rc, _o, err = a.resume()
    assert rc == 0, err
    assert assert_one_run(out) not in (None, old_run)
    no_staging(out)


def test_report_waits_for_the_writer_then_reads_its_commit(copy_of, tmp_path):
    db, out = copy_of
    a = Paused(tmp_path, "before_commit", "run", "--db", db, "--month", "2025-01",
               "--out", out, "--quiet", "--no-report")
    short = aos("report", "--db", db, "--month", "2025-01", "--out", tmp_path / "r", "--wait", "0.3")
    assert short.returncode == 4 and "waiting up to 0.3 s" in short.stderr, short.stderr
    assert "gave up" in short.stderr and "Traceback" not in short.stderr
    waiting = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "report", "--db", str(db), "--month", "2025-01",
         "--out", str(tmp_path / "r"), "--lang", "en", "--wait", "120"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = waiting.stderr.readline()
    assert "database busy: aos run (pid" in first and "waiting up to 120 s" in first, first
    rc, _o, err = a.resume()
    assert rc == 0, err
    out_r, err_r = waiting.communicate(timeout=240)
    assert waiting.returncode == 0, err_r  # 2025-01 exists only after a's commit
    assert (tmp_path / "r" / "report.html").is_file()


def test_duckdb_file_lock_of_another_program_is_exit_4(copy_of, tmp_path):
    db, out = copy_of
    before = db_state(db)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time\ncon = duckdb.connect(sys.argv[1])\n"
         "print('open', flush=True)\ntime.sleep(120)", str(db)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        for argv in (["run", "--db", db, "--month", MONTH, "--out", out, "--quiet"],
                     ["report", "--db", db, "--month", MONTH, "--out", out, "--wait", "0"]):
            r = aos(*argv)
            assert r.returncode == 4, r.stderr
            assert "database busy" in r.stderr and f"(pid {holder.pid})" in r.stderr
            assert "Traceback" not in r.stderr
    finally:
        holder.kill()
        holder.wait()
    assert db_state(db) == before
    assert_one_run(out)
