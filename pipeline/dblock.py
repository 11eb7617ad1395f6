"""One writer at a time (SPEC §7 exit code 4): advisory locks and opening the database.

Every command that writes the database takes an exclusive `flock` on the sidecar file
`<db>.lock` before it touches anything and holds it to the end; `aos report` takes a shared
lock, waiting a bounded time for a writer to finish. The same lock guards an output directory
(`<out>/.aos.lock`). The holder writes `{pid, command, started}` into the file so that a loser
can say who is busy (a reader writes it too, so that a writer it blocks is told so). Lock files are never deleted (deleting a locked file breaks flock).
DuckDB's own file lock (another program has the database open) is reported the same way.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import re
import sys
import time
from pathlib import Path

import duckdb

from .errors import Busy, UsageError

POLL_SECONDS = 0.2


def lock_path(db: Path | str) -> Path:
    return Path(f"{db}.lock")


def _command() -> str:
    args = sys.argv[1:2]
    return "aos " + args[0] if args and re.fullmatch(r"[a-z]+", args[0]) else "aos (python)"


def holder(path: Path) -> str:
    """Who holds the lock file `path`, as 'aos run (pid N) since HH:MM'."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        since = dt.datetime.fromisoformat(info["started"]).strftime("%H:%M")
        return f"{info['command']} (pid {int(info['pid'])}) since {since}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another aos process"


def _open(path: Path, shared: bool) -> int | None:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        if shared and exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
            # A reader of a read-only location: lock if the file exists, else go on unlocked.
            with contextlib.suppress(OSError):
                return os.open(path, os.O_RDONLY)
            return None
        raise UsageError(f"{path.parent}: cannot create the lock file {path.name} "
                         f"({exc.strerror})") from None


@contextlib.contextmanager
def hold(path: Path, what: str, *, shared: bool = False, wait: float = 0.0, say=None):
    """Hold the lock file `path` for the `with` block. `what` names the guarded thing in the
    busy message ('database', 'output directory'). A writer (shared=False) fails at once with
    Busy; with `wait` > 0 the caller waits up to `wait` seconds, then fails with Busy."""
    fd = _open(Path(path), shared)
    if fd is None:
        yield
        return
    try:
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        deadline = time.monotonic() + wait
        said = False
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                busy = f"{what} busy: {holder(Path(path))}"
                if time.monotonic() >= deadline:
                    raise Busy(busy + ("" if not wait else f"; gave up after {wait:g} s")) from None
                if say and not said:
                    say(f"{busy}; waiting up to {wait:g} s ...")
                    said = True
                time.sleep(POLL_SECONDS)
        info = {"pid": os.getpid(), "command": _command(),
                "started": dt.datetime.now().isoformat(timespec="seconds")}
        with contextlib.suppress(OSError):  # a reader's read-only lock file stays as it is
            os.ftruncate(fd, 0)
            os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _in_memory(db: Path | str) -> bool:
    return str(db).startswith(":memory:")  # private to this process: nothing to lock


def writer(db: Path | str):
    """The exclusive lock of database `db` (an `aos` command that writes it)."""
    if _in_memory(db):
        return contextlib.nullcontext()
    return hold(lock_path(db), "database")


def reader(db: Path | str, wait: float, say=None):
    """A shared lock of database `db`, waiting up to `wait` s for a writer to finish."""
    if _in_memory(db):
        return contextlib.nullcontext()
    return hold(lock_path(db), "database", shared=True, wait=wait, say=say)


def connect(db: Path | str, read_only: bool = False):
    """duckdb.connect with its errors as exit codes: another program holding the file -> 4,
    not a DuckDB file or unreadable -> 2. Never a traceback."""
    try:
        return duckdb.connect(str(db), read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "Could not set lock" in text or "Conflicting lock" in text:
            pid = re.search(r"PID (\d+)", text)
            who = f" (pid {pid.group(1)})" if pid else ""
            raise Busy(f"database busy: {db} is open in another process{who}") from None
        if "not a valid DuckDB database" in text:
            raise UsageError(f"--db {db}: cannot open the database: not a DuckDB database file") from None
        raise UsageError(f"--db {db}: cannot open the database: {text.splitlines()[0]}") from None
    except duckdb.Error as exc:
        raise UsageError(f"--db {db}: cannot open the database: {str(exc).splitlines()[0]}") from None


def configure(con, memory_limit: str = "6GB") -> None:
    """Connection settings for a big load: memory limit (AOS_MEMORY_LIMIT wins over
    `memory_limit`), no insertion order, no progress bar. Spills go to DuckDB's default temp
    directory, `<database>.tmp` beside the database file."""
    con.execute(f"SET memory_limit = '{os.environ.get('AOS_MEMORY_LIMIT', memory_limit)}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")  # our own progress lines instead


def remove_new(db_path: Path) -> None:
    """Remove a database file (and its WAL) that this process created and never committed.
    Call only while holding the database's writer lock."""
    for p in (db_path, Path(f"{db_path}.wal")):
        p.unlink(missing_ok=True)


def _expected_columns() -> dict[str, set[str]]:
    from . import schema
    from . import sqlfiles
    con = duckdb.connect()
    try:
        schema.create_all(con)
        sqlfiles.run_file(con, "cohort/tables.sql")
        rows = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                           "WHERE table_schema = 'main'").fetchall()
    finally:
        con.close()
    out: dict[str, set[str]] = {}
    for t, c in rows:
        out.setdefault(t, set()).add(c)
    return out


def check_layout(con, db: Path | str) -> None:
    """Refuse (exit 2) a database whose aos tables lack columns of this version's layout
    (made by an older version, or by another program)."""
    have: dict[str, set[str]] = {}
    for t, c in con.execute("SELECT table_name, column_name FROM information_schema.columns "
                            "WHERE table_schema = 'main'").fetchall():
        have.setdefault(t, set()).add(c)
    for table, cols in sorted(_expected_columns().items()):
        missing = sorted(cols - have[table]) if table in have else []
        if missing:
            raise UsageError(f"--db {db}: table {table} lacks column(s) {', '.join(missing)}: the "
                             "database was made by another version of aos or another program; "
                             "use a new --db")
