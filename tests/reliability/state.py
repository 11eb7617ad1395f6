"""What a test compares before and after an attack: database content and published outputs."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import duckdb

LINKS = ("report.html", "report.xlsx", "figures", "releasable", "sensitive", "run_manifest.json")


def db_state(db: Path) -> dict | None:
    """Every main table -> (row count, order-free content hash); None when there is no file."""
    if not db.exists():
        return None
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "ORDER BY 1").fetchall()]
        out = {}
        for t in names:
            n, h = con.execute(f"SELECT count(*), sum(hash(t)) FROM {t} t").fetchone()
            out[t] = (n, str(h))
        return out
    finally:
        con.close()


def tree(out: Path) -> dict[str, str]:
    """The published outputs as the user sees them (through the top-level names)."""
    files = {}
    for name in LINKS:
        top = out / name
        if top.is_file():
            files[name] = hashlib.sha256(top.read_bytes()).hexdigest()
        elif top.is_dir():
            for root, _dirs, fs in os.walk(top, followlinks=True):
                for f in fs:
                    p = Path(root) / f
                    files[str(p.relative_to(out))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return files


def current_run(out: Path) -> str | None:
    link = out / "current"
    return Path(os.readlink(link)).name if link.is_symlink() else None


def assert_one_run(out: Path) -> str | None:
    """Every published name resolves into the one current run folder, whose manifest (from
    `aos run`) names that run; nothing is staged. Returns the run id."""
    run = current_run(out)
    if run is None:
        assert not any(os.path.lexists(out / n) for n in LINKS), "outputs without a current run"
        return None
    folder = (out / "runs" / run).resolve()
    for name in LINKS:
        if os.path.lexists(out / name):
            assert (out / name).resolve().is_relative_to(folder), f"{name} is not from run {run}"
    manifest = json.loads((folder / "run_manifest.json").read_text(encoding="utf-8"))
    assert manifest["run_id"] == run
    return run


def no_staging(out: Path) -> None:
    staging = out / ".staging"
    assert not staging.exists() or not any(staging.iterdir()), list(staging.iterdir())


def sensitive_outside(root: Path, out: Path) -> list[Path]:
    """Patient-level files anywhere under `root` but outside `out`."""
    return [p for p in root.rglob("review_list.csv") if not p.resolve().is_relative_to(out.resolve())]


def first_column(db: Path, query: str) -> set:
    """The set of the first column of `query` on `db`, read-only."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {r[0] for r in con.execute(query).fetchall()}
    finally:
        con.close()
