"""The `aos` command line. Each subcommand lives in `pipeline/commands/<name>.py`
with `add_parser(subparsers)` and `run(args) -> int`; a module imports its heavy dependencies
inside `run`, so that `aos --help` stays fast."""
from __future__ import annotations

import argparse
import datetime as dt
import importlib
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from . import __version__
from . import log
from .errors import AosError

# Order = order in `aos --help` (SPEC §7).
COMMANDS = ("demo", "ingest", "check", "run", "report", "evaluate", "synth")

EPILOG = """\
logging: progress and log lines go to stderr, results to stdout. A command that writes
outputs appends its log (timestamped, with every step and any traceback) to a file beside
them: OUT.log for --out OUT, DB.log for ingest's --db DB; --log-file PATH chooses the file.
-v, -q and --log-file go before or after COMMAND.

exit codes: 0 success; 1 data refused (validation); 2 bad usage; 3 internal error (one line
on stderr, the traceback in the log file); 4 the database is busy (another aos process is
writing it).

Run 'aos COMMAND --help' for each command."""

logger = logging.getLogger(__name__)


def add_logging_options(parser: argparse.ArgumentParser) -> None:
    """-v/-q/--log-file on the main parser and on every subcommand (defaults set in main).
    A command's own --quiet (kept for callers that build its parser alone) gives way to -q."""
    parser.conflict_handler = "resolve"
    g = parser.add_argument_group("logging")
    g.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                   help="also show debug lines (and a traceback) on stderr")
    g.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                   help="print nothing but warnings and errors; no progress bars "
                        "(the log file still gets every step)")
    g.add_argument("--log-file", metavar="PATH", default=argparse.SUPPRESS,
                   help="append the log to PATH (default: beside the outputs, OUT.log)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aos",
        description=(
            "AOS monitor: flags adults whose primary-care records show the patterns of "
            "serious non-specific symptoms that may be due to cancer (SVF AOS), and measures "
            "the confirmed-cancer yield against the expected 15-20 %."
        ),
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"aos {__version__}")
    add_logging_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"pipeline.commands.{name}")
        p = module.add_parser(sub)
        add_logging_options(p)
        p.set_defaults(_run=module.run)
    return parser


def default_log_file(args) -> Path | None:
    """OUT.log beside --out (its directory is made, as the command makes --out), else DB.log
    beside --db when that directory exists; None for a command that writes nothing."""
    target = getattr(args, "out", None) or getattr(args, "db", None)
    if not target or args.command == "check":
        return None
    path = Path(os.path.abspath(target))  # no resolve(): --out may be a symlink
    if not path.name or (not getattr(args, "out", None) and not path.parent.is_dir()):
        return None
    return path.with_name(path.name + ".log")


def _fallback_log_file(command: str) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    fd, name = tempfile.mkstemp(prefix=f"aos-{command}-{stamp}-", suffix=".log")
    os.close(fd)
    return Path(name)


def _start_logging(args, prog: str):
    if args.log_file:
        try:
            return log.setup(args.verbose, args.quiet, Path(args.log_file))
        except OSError as exc:
            print(f"{prog}: error: --log-file {args.log_file}: cannot write it ({exc.strerror})",
                  file=sys.stderr)
            return None
    path = default_log_file(args)
    try:
        return log.setup(args.verbose, args.quiet, path)
    except OSError as exc:
        session = log.setup(args.verbose, args.quiet)
        logger.warning("cannot write the log file %s (%s); logging to stderr only", path, exc.strerror)
        return session


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    for name, default in (("verbose", 0), ("quiet", False), ("log_file", None)):
        if not hasattr(args, name):
            setattr(args, name, default)
    prog = f"aos {args.command}"
    session = _start_logging(args, prog)
    if session is None:
        return 2
    logger.info("%s started (aos %s): aos %s", prog, __version__, " ".join(argv), extra=log.FILE_ONLY)
    started, rc = time.perf_counter(), 3
    try:
        rc = int(args._run(args) or 0)
    except AosError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        logger.error("%s", exc, extra=log.FILE_ONLY)
        rc = exc.exit_code
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        logger.error("interrupted", extra=log.FILE_ONLY)
        rc = 130
    except Exception as exc:  # an internal error: a short line here, the traceback in the log
        if session.path is None:
            session.attach_file(_fallback_log_file(args.command))
        logger.error("internal error", exc_info=True, extra=log.FILE_ONLY)
        print(f"{prog}: internal error ({type(exc).__name__}); details in {session.path}",
              file=sys.stderr)
        rc = 3
    finally:
        logger.info("%s finished: exit code %d after %.1f s", prog, rc,
                    time.perf_counter() - started, extra=log.FILE_ONLY)
        session.close()
    return rc


if __name__ == "__main__":
    sys.exit(main())
