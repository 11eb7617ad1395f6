"""Issue 9, finding 8: a mapping cannot make ingest read outside the extract directory, and the
target's content is never echoed. `..` or an absolute path in the mapping is bad usage (exit 2);
a table file that resolves outside the directory through a link is refused (exit 1)."""
from __future__ import annotations

import pytest

from .hostile import aos, write_extract

SECRET = "SECRETLINE_do_not_echo"


@pytest.fixture
def setup(tmp_path):
    ext = tmp_path / "extract"
    write_extract(ext, ["VC1"])
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.csv").write_text(f"{SECRET},a,b\n1,2,3\n", encoding="utf-8")
    return tmp_path, ext, outside


def _mapping(tmp_path, stem: str):
    m = tmp_path / "map.toml"
    m.write_text(f'[tables.lab_results]\nfile = "{stem}"\n', encoding="utf-8")
    return m


def _ingest(tmp_path, ext, *extra):
    db = tmp_path / "aos.duckdb"
    r = aos("ingest", ext, "--db", db, *extra)
    assert SECRET not in r.stdout + r.stderr
    return r, db


@pytest.mark.parametrize("stem", ["../outside/x", "sub/../../outside/x", "ABSOLUTE", "lab\\u0000x"])
def test_mapping_path_outside_is_bad_usage(setup, stem):
    tmp_path, ext, outside = setup
    (ext / "lab_results.csv").unlink()
    stem = str(outside / "x") if stem == "ABSOLUTE" else stem
    r, db = _ingest(tmp_path, ext, "--mapping", _mapping(tmp_path, stem))
    assert r.returncode == 2, r.stderr
    assert "tables.lab_results.file: must name a file inside the extract directory" in r.stderr
    assert stem not in r.stderr and not db.exists()


@pytest.mark.parametrize("mapped", [True, False])
def test_link_pointing_outside_is_refused(setup, mapped):
    tmp_path, ext, outside = setup
    (ext / "lab_results.csv").unlink()
    name = "labb.csv" if mapped else "lab_results.csv"
    (ext / name).symlink_to(outside / "x.csv")
    extra = ("--mapping", _mapping(tmp_path, "labb")) if mapped else ()
    r, db = _ingest(tmp_path, ext, *extra)
    assert r.returncode == 1, r.stderr
    assert "table lab_results resolves outside the extract directory" in r.stderr
    assert not db.exists()


def test_link_inside_the_extract_is_fine(setup):
    tmp_path, ext, _ = setup
    (ext / "data").mkdir()
    (ext / "lab_results.csv").rename(ext / "data" / "labs.csv")
    (ext / "labb.csv").symlink_to(ext / "data" / "labs.csv")
    r, _ = _ingest(tmp_path, ext, "--mapping", _mapping(tmp_path, "labb"))
    assert r.returncode == 0, r.stderr
