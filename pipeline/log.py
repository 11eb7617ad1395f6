"""Logging and progress bars of the `aos` commands (stdlib `logging`, bars from `rich`).

Modules log with `logging.getLogger(__name__)` (all under the `pipeline` logger) and print only
results, on stdout. `setup` sends the records to stderr (INFO; WARNING with -q; DEBUG with -v)
and to a log file (everything, timestamped, appended). Progress bars are drawn on stderr only
when it is a terminal and -q was not given; log lines print above them.
"""
from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from pathlib import Path

ROOT = "pipeline"
FILE_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
STDERR_FORMAT = "%(asctime)s %(levelname)s %(message)s"
FILE_ONLY = {"file_only": True}  # `extra=`: the log file alone (and stderr with -v)
RESULT = {"result": True}  # `extra=`: a result line, printed on stdout by `result`

_show_bars = True
_live: dict = {}  # the rich Progress shared by nested bars, and how many bars use it


class _Stderr(logging.StreamHandler):
    """Writes to the current sys.stderr (a live progress bar redirects it to print above)."""

    def __init__(self, verbose: bool):
        super().__init__()
        self.addFilter(lambda r: not getattr(r, "result", False)
                       and (verbose or not getattr(r, "file_only", False)))
        self.setFormatter(logging.Formatter(STDERR_FORMAT, "%H:%M:%S"))

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


class Session:
    """The handlers `setup` installed; `close()` removes them again."""

    def __init__(self, handlers: list[logging.Handler], path: Path | None):
        self.handlers, self.path = handlers, path

    def attach_file(self, path: Path) -> None:
        """Start writing the log to `path` (used when an error happens and no log file was set)."""
        handler = _file_handler(path)
        logging.getLogger(ROOT).addHandler(handler)
        self.handlers.append(handler)
        self.path = path

    def close(self) -> None:
        global _show_bars
        logger = logging.getLogger(ROOT)
        for h in self.handlers:
            logger.removeHandler(h)
            h.close()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
        _show_bars = True


def _file_handler(path: Path) -> logging.Handler:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, mode="a", encoding="utf-8")
    handler.setFormatter(logging.Formatter(FILE_FORMAT))
    handler.setLevel(logging.DEBUG)
    return handler


def setup(verbose: int = 0, quiet: bool = False, log_file: Path | None = None) -> Session:
    """Log to stderr and (when `log_file` is given) to that file; raises OSError when the file
    cannot be opened."""
    global _show_bars
    logger = logging.getLogger(ROOT)
    stderr = _Stderr(verbose > 0)
    stderr.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    handlers: list[logging.Handler] = [stderr]
    if log_file is not None:
        handlers.append(_file_handler(Path(log_file)))
    for h in handlers:
        logger.addHandler(h)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    _show_bars = not quiet
    return Session(handlers, Path(log_file) if log_file is not None else None)


def result(message: str, quiet: bool = False) -> None:
    """Result lines: on stdout (unless quiet) and in the log file, one record per line."""
    for line in message.splitlines():
        logging.getLogger(ROOT).info(line, extra=RESULT)
    if not quiet:
        print(message, flush=True)


class _Bar:
    def __init__(self, progress=None, task=None):
        self.progress, self.task = progress, task

    def update(self, completed: float | None = None, total: float | None = None,
               note: str | None = None, advance: float | None = None) -> None:
        if self.progress is None:
            return
        fields = {} if note is None else {"note": note}
        self.progress.update(self.task, completed=completed, total=total, advance=advance, **fields)

    def advance(self, n: float = 1) -> None:
        self.update(advance=n)


@contextmanager
def progress_bar(description: str, total: float | None = None, show: bool = True, unit: str = ""):
    """A progress bar on stderr for a step that may take more than a few seconds. Yields an
    object with `update(completed=, total=, note=)` and `advance(n)`; without a terminal (or
    with -q, or `show=False`) it draws nothing. `total=None`: elapsed time only."""
    if not (show and _show_bars and sys.stderr.isatty()):
        yield _Bar()
        return
    from rich.console import Console
    from rich.progress import (BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    if not _live:
        count = DownloadColumn() if unit == "B" else MofNCompleteColumn()
        progress = Progress(TextColumn("{task.description}"), BarColumn(), count,
                            TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[note]}"),
                            console=Console(file=sys.stderr), transient=True, redirect_stdout=False)
        progress.start()
        _live.update(progress=progress, users=0)
    progress = _live["progress"]
    _live["users"] += 1
    task = progress.add_task(description, total=total, note="")
    try:
        yield _Bar(progress, task)
    finally:
        progress.remove_task(task)
        _live["users"] -= 1
        if not _live["users"]:
            progress.stop()
            _live.clear()
