"""Helpers for the reliability attacks: `aos` in a subprocess, paused at a named step
(AOS_TEST_PAUSE_AT, pipeline.publish.pause_point), a baseline database with one run."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline import cli
from pipeline.paths import REPO_DIR

FIXTURE = REPO_DIR / "tests" / "fixtures" / "ingest" / "canonical"
MONTH = "2025-03"


def env(**extra) -> dict:
    e = dict(os.environ)
    e.pop("AOS_TEST_PAUSE_AT", None)
    e.update(extra)
    return e


def aos(*args, cwd=None, **extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *map(str, args)], cwd=cwd,
                          env=env(**extra), capture_output=True, text=True, timeout=300)


class Paused:
    """`aos ...` started in the background, paused at `point` until resume() or kill()."""

    def __init__(self, tmp: Path, point: str, *args):
        self.marker = tmp / f"paused-{point}"
        self.marker.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", *map(str, args)], cwd=tmp,
            env=env(AOS_TEST_PAUSE_AT=point, AOS_TEST_PAUSE_MARKER=str(self.marker)),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 240
        while not self.marker.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                out, err = self.proc.communicate(timeout=5) if self.proc.poll() is not None else ("", "")
                self.proc.kill()
                pytest.fail(f"never reached {point}: rc={self.proc.returncode}\n{out}\n{err}")
            time.sleep(0.05)

    def resume(self) -> tuple[int, str, str]:
        self.marker.unlink()
        out, err = self.proc.communicate(timeout=240)
        return self.proc.returncode, out, err

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL
        self.proc.communicate(timeout=30)


def other_extract(tmp: Path) -> Path:
    """A second extract: the fixture with one contact row less (other hashes, same region)."""
    dest = tmp / "extract_b"
    shutil.copytree(FIXTURE, dest)
    lines = (dest / "contacts.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (dest / "contacts.csv").write_text("".join(lines[:-1]), encoding="utf-8")
    return dest


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> tuple[Path, Path]:
    """A database and an --out after one successful `aos run` of the fixture extract."""
    base = tmp_path_factory.mktemp("baseline")
    db, out = base / "aos.duckdb", base / "out"
    assert cli.main(["run", str(FIXTURE), "--month", MONTH, "--db", str(db), "--out", str(out),
                     "--quiet", "--lang", "en"]) == 0
    return db, out


@pytest.fixture
def copy_of(baseline, tmp_path) -> tuple[Path, Path]:
    db, out = baseline
    shutil.copy2(db, tmp_path / db.name)
    shutil.copytree(out, tmp_path / "out", symlinks=True)
    return tmp_path / db.name, tmp_path / "out"
