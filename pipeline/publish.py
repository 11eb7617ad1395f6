"""Atomic publishing of an output directory (docs/architecture.md "Locking, transactions and
publishing").

    OUT/.aos.lock               the output directory's writer lock (pipeline.dblock)
    OUT/.staging/<run_id>/      a run's outputs while they are written (same filesystem)
    OUT/runs/<run_id>/          each published run, complete; the last KEEP_RUNS are kept
    OUT/current -> runs/<id>    switched by one atomic rename
    OUT/report.html -> current/report.html, and likewise report.xlsx, figures, releasable,
                                sensitive, run_manifest.json (the paths users know)

A reader that goes through `current` always sees one run. A run writes `.ready` into its
staging folder before the database commit; a killed run's staging folder is published at the
next start when its run id is committed in the database, else removed.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import shutil
import time
from pathlib import Path

from . import dblock
from .errors import Busy, UsageError

LINKS = ("report.html", "report.xlsx", "figures", "releasable", "sensitive", "run_manifest.json")
KEEP_RUNS = 3
LOCK = ".aos.lock"
STAGING = ".staging"
READY = ".ready"
MIGRATE = "legacy-migrate"  # staging name while an older version's plain files move in
LEGACY_ID = "00000000T000000-legacy"
OLD_LEFTOVERS = (".report-", ".aos-run-", ".figures-old-")  # temp names of older versions


def new_run_id() -> str:
    now = dt.datetime.now(dt.timezone.utc)
    return f"{now:%Y%m%dT%H%M%S}{now.microsecond:06d}-{os.getpid()}"


def pause_point(name: str) -> None:
    """Test hook: with AOS_TEST_PAUSE_AT=name, write the file AOS_TEST_PAUSE_MARKER and wait
    until it is removed (at most 10 minutes), so that a test can kill the process at exactly
    this step, or let it go on."""
    marker = os.environ.get("AOS_TEST_PAUSE_MARKER")
    if os.environ.get("AOS_TEST_PAUSE_AT") != name or not marker:
        return
    Path(marker).write_text(str(os.getpid()), encoding="utf-8")
    deadline = time.monotonic() + 600
    while Path(marker).exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def record_run(con, run_id: str, command: str, months: list[str], out: Path) -> None:
    """Record the run in the caller's transaction (table aos_runs, sql/cohort/tables.sql):
    its commit is what makes the staged outputs publishable."""
    con.execute("INSERT INTO aos_runs VALUES (?, ?, ?, ?, ?)",
                [run_id, command, ",".join(months), str(Path(out).resolve()), dt.datetime.now()])


def committed_in(con) -> bool:
    """A check for recover(): is run_id committed in the database open on `con`?"""
    def check(run_id: str) -> bool:
        has = con.execute("SELECT count(*) FROM information_schema.tables "
                          "WHERE table_schema = 'main' AND table_name = 'aos_runs'").fetchone()[0]
        return bool(has) and bool(con.execute(
            "SELECT count(*) FROM aos_runs WHERE run_id = ?", [run_id]).fetchone()[0])
    return check


def _committed_elsewhere(db: str, run_id: str) -> bool | None:
    """Is run_id committed in another database? None when that cannot be told now (busy)."""
    if not Path(db).is_file():
        return False
    try:
        with dblock.hold(dblock.lock_path(db), "database", shared=True):
            con = dblock.connect(db, read_only=True)
            try:
                return committed_in(con)(run_id)
            finally:
                con.close()
    except Busy:
        return None
    except UsageError:  # no longer a database of ours: the run cannot have been committed there
        return False


def _ready_db(folder: Path) -> str | None:
    """The database named by the folder's `.ready` mark; None without a whole mark (the mark
    is written before the commit, so a cut-off mark means no commit)."""
    try:
        return str(json.loads((folder / READY).read_text(encoding="utf-8"))["db"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _cant_write(out: Path, exc: OSError) -> UsageError:
    return UsageError(f"--out {out}: cannot write the output directory ({exc.strerror}); "
                      "nothing was changed")


class OutDir:
    """An output directory held under its lock (see `locked`)."""

    def __init__(self, path: Path, db: Path | str | None = None):
        self.path = path
        self.db = str(Path(db).resolve()) if db else None
        self.staging = path / STAGING
        self.runs = path / "runs"

    # -- reading -------------------------------------------------------------------------
    def current(self) -> Path | None:
        link = self.path / "current"
        return self.runs / Path(os.readlink(link)).name if link.is_symlink() else None

    # -- writing a run ---------------------------------------------------------------------
    def stage(self, run_id: str) -> Path:
        try:
            self.staging.mkdir(exist_ok=True)
            stage = self.staging / run_id
            stage.mkdir()
        except OSError as exc:
            raise _cant_write(self.path, exc) from None
        return stage

    def mark_ready(self, stage: Path, db: Path) -> None:
        """All outputs are staged; from the database commit on, the run is publishable."""
        info = {"run_id": stage.name, "db": str(Path(db).resolve())}
        (stage / READY).write_text(json.dumps(info) + "\n", encoding="utf-8")

    def carry_over(self, stage: Path) -> None:
        """Fill `stage` with what the current run has and `stage` lacks (hard links; never
        written into, so the old run stays intact)."""
        cur = self.current()
        if cur is None or not cur.is_dir():
            return
        for src in sorted(cur.rglob("*")):
            dest = stage / src.relative_to(cur)
            if src.is_dir() or dest.exists() or src.name == READY:
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(src, dest)
            except OSError:
                shutil.copy2(src, dest)

    def publish(self, stage: Path) -> Path:
        """Make the staged run the current one: one rename into runs/, one atomic switch of
        `current`; then the stable top-level links and the pruning of old runs. `.ready`
        goes last, so that a kill in between leaves the run recognisable for recover()."""
        self.runs.mkdir(exist_ok=True)
        final = self.runs / stage.name
        os.replace(stage, final)
        pause_point("mid_publish")
        self._switch(final)
        (final / READY).unlink(missing_ok=True)
        return final

    def discard(self, stage: Path) -> None:
        shutil.rmtree(stage, ignore_errors=True)

    def _symlink(self, name: str, target: str) -> None:
        tmp = self.path / f".{name}.link-tmp"
        tmp.unlink(missing_ok=True)
        os.symlink(target, tmp)
        os.replace(tmp, self.path / name)

    def _switch(self, final: Path) -> None:
        self._symlink("current", f"runs/{final.name}")
        for name in LINKS:
            top = self.path / name
            if os.path.lexists(final / name):
                if not (top.is_symlink() and os.readlink(top) == f"current/{name}"):
                    self._symlink(name, f"current/{name}")
            elif top.is_symlink():
                top.unlink()
        keep = sorted(p.name for p in self.runs.iterdir())[-KEEP_RUNS:]
        for p in self.runs.iterdir():
            if p.name not in keep and p.name != final.name:
                shutil.rmtree(p, ignore_errors=True)

    # -- the start of every command ------------------------------------------------------------
    def recover(self, check=None) -> list[str]:
        """Migrate an older version's plain files, remove stale staging, publish a killed
        run's outputs whose run id is committed. `check(run_id) -> bool` asks the command's
        own open database; another database is opened read-only (busy: the folder is kept)."""
        done = []
        for p in self.path.iterdir():
            if p.name.startswith(OLD_LEFTOVERS) and p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
        plain = [n for n in LINKS if os.path.lexists(self.path / n) and not (self.path / n).is_symlink()]
        if plain or (self.staging / MIGRATE).is_dir():
            self._migrate(plain)
            done.append("moved the outputs of an older aos version into runs/" + LEGACY_ID)
        staged = sorted(self.staging.iterdir()) if self.staging.is_dir() else []
        moved = [p for p in sorted(self.runs.iterdir()) if (p / READY).is_file()] \
            if self.runs.is_dir() else []
        for folder in staged + moved:
            verdict = False
            db = _ready_db(folder)
            if db is not None:
                verdict = (check(folder.name) if check is not None and db == self.db
                           else _committed_elsewhere(db, folder.name))
            cur = self.current()
            if verdict is None:
                done.append(f"kept the outputs of run {folder.name}: its database is busy")
            elif verdict and (cur is None or folder.name > cur.name):
                self.publish(folder)
                done.append(f"published run {folder.name}, committed before it was interrupted")
            elif verdict and folder == cur:
                (folder / READY).unlink()
            else:  # never committed, or superseded by a newer published run
                shutil.rmtree(folder, ignore_errors=True)
                done.append(f"removed the unpublished outputs of run {folder.name}")
        return done

    def _migrate(self, plain: list[str]) -> None:
        tmp = self.staging / MIGRATE
        tmp.mkdir(parents=True, exist_ok=True)
        for name in plain:
            os.replace(self.path / name, tmp / name)
        final = self.runs / LEGACY_ID
        self.runs.mkdir(exist_ok=True)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        if self.current() is None:
            self._switch(final)


@contextlib.contextmanager
def locked(out: Path | str, db: Path | str | None = None, wait: float = 0.0, say=None):
    """Hold the output directory's lock for the `with` block (the directory is created if
    missing; a mount point works: nothing is created outside it). `db`: the command's own
    database, for recover(). A writer gets Busy at once; wait > 0 waits that long."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        if not os.access(out, os.W_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
    except OSError as exc:
        raise _cant_write(out, exc) from None
    if not out.is_dir():
        raise UsageError(f"--out {out}: not a directory")
    with dblock.hold(out / LOCK, "output directory", wait=wait, say=say):
        yield OutDir(out, db)


@contextlib.contextmanager
def stage_errors(out: Path):
    """An OSError while writing the staged outputs (disk full, read-only) -> a one-line usage
    error; the caller rolls the database back."""
    import duckdb
    try:
        yield
    except OSError as exc:
        raise _cant_write(out, exc) from None
    except duckdb.IOException:
        raise UsageError(f"--out {out}: cannot write the output directory (disk full or not "
                         "writable); nothing was changed") from None
