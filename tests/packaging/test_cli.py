"""The `aos` command line as an operator meets it: fast help (no heavy imports), logging to
stderr and a log file, -v/-q/--log-file before or after the command, exit code 3 for an
internal error with the traceback in the log, and an AosError's own exit code kept."""
from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import cli, log
from pipeline.errors import AosError

REPO = Path(__file__).resolve().parents[2]
CANONICAL = REPO / "tests" / "fixtures" / "ingest" / "canonical"
HEAVY = ("pandas", "duckdb", "sklearn", "matplotlib", "statsmodels", "scipy", "pyarrow", "rich")
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} (DEBUG|INFO|WARNING|ERROR) ")


def test_help_of_every_command_imports_no_heavy_library():
    code = ("import sys, contextlib, io\n"
            "import pipeline.cli as c\n"
            "for argv in [['--help']] + [[n, '--help'] for n in c.COMMANDS]:\n"
            "    with contextlib.redirect_stdout(io.StringIO()):\n"
            "        try:\n"
            "            c.main(argv)\n"
            "        except SystemExit as e:\n"
            "            assert e.code == 0, argv\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_help_lists_check_after_ingest_and_every_exit_code(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    listed = re.findall(r"^    (\w+) ", out, re.M)
    assert listed == list(cli.COMMANDS) and listed.index("check") == listed.index("ingest") + 1
    for code in ("0 success", "1 data refused", "2 bad usage", "3 internal error", "4 the database is busy"):
        assert code in out
    assert "--log-file" in out and "--quiet" in out and "--verbose" in out


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_run_leaves_a_timestamped_log_with_every_step(where, tmp_path, capsys):
    log = tmp_path / "run.log"
    flags = ["-q", "--log-file", str(log)]
    cmd = ["ingest", str(CANONICAL), "--db", str(tmp_path / "a.duckdb")]
    assert cli.main(flags + cmd if where == "before" else cmd + flags) == 0
    assert capsys.readouterr() == ("", "")
    lines = log.read_text(encoding="utf-8").splitlines()
    assert lines and all(STAMP.match(line) for line in lines)
    text = "\n".join(lines)
    for table in ("patients", "contacts", "lab_results"):
        assert f"reading {table}.csv" in text and f"validating and loading {table}" in text
    assert "quarantined" in text  # the result (ingest summary) is in the log too
    assert "aos ingest finished: exit code 0" in lines[-1]
    assert not (tmp_path / "a.duckdb.log").exists()  # --log-file replaces the default


def test_default_log_is_beside_the_outputs_and_appended(tmp_path, capsys):
    db = tmp_path / "a.duckdb"
    for _ in range(2):
        assert cli.main(["ingest", str(CANONICAL), "--db", str(db)]) == 0
    out, err = capsys.readouterr()
    assert "lab_results.csv" in out  # results on stdout
    assert re.search(r"^\d\d:\d\d:\d\d INFO reading lab_results\.csv", err, re.M)  # progress on stderr
    text = (tmp_path / "a.duckdb.log").read_text(encoding="utf-8")
    assert text.count("aos ingest started") == 2 and "every file was already ingested" in text


def test_default_log_does_not_make_a_missing_database_directory(tmp_path, capsys):
    db = tmp_path / "missing" / "a.duckdb"
    assert cli.main(["ingest", str(CANONICAL), "--db", str(db)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not db.parent.exists()


def test_verbose_shows_debug_lines(tmp_path, capsys):
    assert cli.main(["-v", "ingest", str(CANONICAL), "--db", str(tmp_path / "a.duckdb")]) == 0
    assert "aos ingest started" in capsys.readouterr().err  # a file-only line, shown with -v


def _crash(monkeypatch, exc: BaseException):
    import pipeline.report as report

    def boom(*a, **k):
        raise exc
    monkeypatch.setattr(report, "write_report", boom)


def test_internal_error_is_exit_3_with_one_line_and_the_traceback_in_the_log(tmp_path, capsys, monkeypatch):
    _crash(monkeypatch, ValueError("simulated bug"))
    out = tmp_path / "out"
    assert cli.main(["report", "--month", "2025-06", "--db", str(tmp_path / "x.duckdb"),
                     "--out", str(out)]) == 3
    captured = capsys.readouterr()
    log = tmp_path / "out.log"
    assert captured.out == ""
    assert captured.err.splitlines() == [f"aos report: internal error (ValueError); details in {log}"]
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "ValueError: simulated bug" in text
    assert "aos report finished: exit code 3" in text


def test_internal_error_without_a_log_file_still_keeps_the_traceback(tmp_path, capsys, monkeypatch):
    import pipeline.ingest

    def boom(*a, **k):
        raise KeyError("simulated")
    monkeypatch.setattr(pipeline.ingest, "ingest_extract", boom)
    assert cli.main(["check", str(CANONICAL)]) == 3
    err = capsys.readouterr().err.strip()
    m = re.fullmatch(r"aos check: internal error \(KeyError\); details in (\S+\.log)", err)
    assert m, err
    log = Path(m.group(1))
    try:
        assert "KeyError: 'simulated'" in log.read_text(encoding="utf-8")
    finally:
        log.unlink()


def test_an_aos_error_keeps_its_own_exit_code(tmp_path, capsys, monkeypatch):
    class Busy(AosError):
        exit_code = 4

    _crash(monkeypatch, Busy("aos.duckdb is being written by another aos process"))
    assert cli.main(["report", "--month", "2025-06", "--db", str(tmp_path / "x.duckdb"),
                     "--out", str(tmp_path / "out")]) == 4
    assert capsys.readouterr().err.strip() == (
        "aos report: error: aos.duckdb is being written by another aos process")
    assert "being written by another aos process" in (tmp_path / "out.log").read_text(encoding="utf-8")


def test_unwritable_log_file_is_bad_usage(tmp_path, capsys):
    assert cli.main(["ingest", str(CANONICAL), "--db", str(tmp_path / "a.duckdb"),
                     "--log-file", str(tmp_path)]) == 2  # a directory
    assert "--log-file" in capsys.readouterr().err
    assert not (tmp_path / "a.duckdb").exists()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("stream,quiet,drawn", [(_Terminal, False, True), (_Terminal, True, False),
                                               (io.StringIO, False, False)])
def test_progress_bars_only_on_a_terminal_and_never_with_quiet(stream, quiet, drawn, monkeypatch):
    err = stream()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setenv("TERM", "xterm")  # CI may say dumb: rich then draws nothing
    for name in ("TTY_INTERACTIVE", "TTY_COMPATIBLE", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    session = log.setup(quiet=quiet)
    try:
        with log.progress_bar("synth-test", total=10) as bar:
            bar.update(completed=5, note="5 patients")
    finally:
        session.close()
    assert ("synth-test" in err.getvalue()) is drawn
    assert drawn or err.getvalue() == ""
