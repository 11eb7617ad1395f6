"""The wheel works outside the repository (issue 11.1): built from a clean copy of the
checkout, installed with the lock as constraints into a fresh virtual environment, and run
from a directory outside the repository."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _sh(cmd: list, cwd: Path, env: dict | None = None, timeout: int = 600) -> str:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{cmd} exited {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _clean_copy(dst: Path) -> Path:
    """The files git knows (tracked, plus new files not ignored): what a fresh clone would hold,
    with this work tree's edits. No .venv, no build/ or *.egg-info left over from a dev install."""
    names = _sh(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], REPO)
    for name in filter(None, names.split("\0")):
        src = REPO / name
        if src.is_file():  # a tracked file deleted in the work tree is not copied
            (dst / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / name)
    return dst


def _outside_env(venv: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("wheel")
    src = _clean_copy(base / "src")
    _sh([sys.executable, "-m", "build", "--wheel", "--outdir", base / "dist", src], base)
    (whl,) = (base / "dist").glob("aos_monitor-*.whl")
    return whl


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    env_dir = tmp_path_factory.mktemp("venv") / "v"
    _sh([sys.executable, "-m", "venv", env_dir], env_dir.parent)
    _sh([env_dir / "bin" / "python", "-m", "pip", "install", "-q", "-c", REPO / "requirements.lock",
         wheel], env_dir.parent)
    return env_dir


def test_wheel_holds_every_sql_file_and_the_sample(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    sql = {p.relative_to(REPO / "sql").as_posix() for p in (REPO / "sql").rglob("*.sql")}
    assert sql and {f"pipeline/sql/{n}" for n in sql} <= names
    sample = _sh(["git", "ls-files", "data_samples"], REPO).split()
    assert "data_samples/extract.toml" in sample
    assert {"pipeline/sample/" + n.removeprefix("data_samples/") for n in sample} <= names
    data = {p.relative_to(REPO / "pipeline").as_posix()
            for p in (REPO / "pipeline" / "data").rglob("*") if p.is_file()}
    assert {f"pipeline/{n}" for n in data} <= names


def test_every_package_of_the_source_is_listed_for_the_wheel():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "pipeline").rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


@pytest.mark.slow
def test_installed_wheel_runs_demo_and_run_outside_the_repository(venv, tmp_path):
    env = _outside_env(venv)
    where = _sh([venv / "bin" / "python", "-c",
                 "import pipeline, pipeline.paths as p; print(pipeline.__file__); print(p.SAMPLE_DIR)"],
                tmp_path, env).split()
    assert all(Path(w).is_relative_to(venv) for w in where), where  # not the checkout

    assert "demo done" in _sh([venv / "bin" / "aos", "demo", "--sample", "--out", "demo", "--from", "2025-06",
                               "--quiet"], tmp_path, env)
    assert (tmp_path / "demo" / "report.html").is_file()

    _sh([venv / "bin" / "aos", "run", where[1], "--month", "2025-12", "--db", "m.duckdb",
         "--out", "monthly", "-q", "--log-file", "run.log"], tmp_path, env)
    manifest = json.loads((tmp_path / "monthly" / "run_manifest.json").read_text())
    assert manifest["months"] == ["2025-12"] and manifest["not_evaluable"] == []
    assert (tmp_path / "monthly" / "report.html").is_file()
    assert "cohort" in (tmp_path / "run.log").read_text()
