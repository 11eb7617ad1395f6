"""Issue 9 finding 3: a full disk or a read-only --out after the cohort was computed leaves
the database unchanged and the outputs old; an --out that is a mount point works (nothing is
created in its parent). Needs `mount -t tmpfs` (root); skipped with the reason otherwise."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from pipeline import cli

from .conftest import FIXTURE, MONTH
from .state import assert_one_run, db_state, no_staging, tree


def _mount(path, options: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.strip() or 'not root'})")


@pytest.fixture
def tmpfs(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a size-limited tmpfs needs root")
    mounted = []

    def mount(name: str, options: str):
        path = tmp_path / "mounts" / name
        _mount(path, options)
        mounted.append(path)
        return path

    yield mount
    for path in reversed(mounted):
        subprocess.run(["umount", "-l", str(path)], check=False)


def _fill(path, leave: int) -> None:
    """Fill the filesystem of `path` up to `leave` bytes."""
    st = os.statvfs(path)
    free = st.f_bavail * st.f_frsize
    with open(path / "filler", "wb") as f:
        f.write(b"\0" * max(free - leave, 0))


def test_full_disk_under_out_after_the_cohort(copy_of, tmpfs, capsys):
    db, _ = copy_of
    out = tmpfs("full", "size=4m")
    assert cli.main(["run", "--db", str(db), "--month", MONTH, "--out", str(out), "--quiet",
                     "--no-report"]) == 0
    before_db, before_out, run = db_state(db), tree(out), assert_one_run(out)
    _fill(out, 8 * 1024)
    capsys.readouterr()
    assert cli.main(["run", str(FIXTURE), "--db", str(db), "--month", "2025-01", "--to", MONTH,
                     "--out", str(out)]) == 2
    printed = capsys.readouterr()
    assert "store:" in printed.out + printed.err  # the cohort was computed before the disk was full
    assert "cannot write the output directory" in printed.err and "Traceback" not in printed.err
    assert db_state(db) == before_db
    assert tree(out) == before_out and assert_one_run(out) == run
    no_staging(out)


def test_read_only_out_is_usage_error_and_changes_nothing(copy_of, tmpfs, capsys, tmp_path):
    db, _ = copy_of
    out = tmpfs("ro", "ro,size=1m")
    new_db = tmp_path / "new.duckdb"
    before = db_state(db)
    for argv in (["run", "--db", str(db), "--month", MONTH],
                 ["run", str(FIXTURE), "--db", str(new_db), "--month", MONTH],
                 ["report", "--db", str(db), "--month", MONTH]):
        assert cli.main([*argv, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert "cannot write the output directory" in err and "Traceback" not in err
    assert db_state(db) == before and not new_db.exists()


def test_out_that_is_a_mount_point(copy_of, tmpfs, tmp_path):
    db, _ = copy_of
    out = tmpfs("mnt", "size=16m")
    def parent():  # no staging beside --out (a log file there is the logging's, not data)
        return sorted(p.name for p in out.parent.iterdir() if p.suffix != ".log")

    parent_before = parent()
    for month in ("2025-02", MONTH):
        assert cli.main(["run", str(FIXTURE), "--db", str(db), "--month", month, "--out", str(out),
                         "--quiet", "--lang", "en"]) == 0
    assert cli.main(["report", "--db", str(db), "--month", MONTH, "--out", str(out)]) == 0
    assert parent() == parent_before
    assert (out / "report.html").is_file() and (out / "sensitive" / "review_list.csv").is_file()
    no_staging(out)


def test_report_reads_a_database_on_a_read_only_filesystem(copy_of, tmpfs, tmp_path):
    db, _ = copy_of
    ro = tmpfs("rodb", "size=64m")
    shutil.copy2(db, ro / db.name)
    subprocess.run(["mount", "-o", "remount,ro", str(ro)], check=True)
    assert cli.main(["report", "--db", str(ro / db.name), "--month", MONTH,
                     "--out", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "report.html").is_file()
    assert cli.main(["run", "--db", str(ro / db.name), "--month", MONTH,
                     "--out", str(tmp_path / "r")]) == 2  # a writer needs its lock file
