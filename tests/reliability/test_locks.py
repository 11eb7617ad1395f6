"""pipeline.dblock in one process: the busy message, readers beside readers, in-memory
databases (aos check) without a lock file."""
from __future__ import annotations

import re

import pytest

from pipeline import dblock
from pipeline.errors import Busy

from .conftest import FIXTURE


def test_busy_message_names_holder_and_time(tmp_path):
    db = tmp_path / "aos.duckdb"
    with dblock.writer(db):
        with pytest.raises(Busy) as exc:
            with dblock.writer(db):
                pass
    assert exc.value.exit_code == 4
    assert re.fullmatch(r"database busy: aos \S+( \S+)? \(pid \d+\) since \d\d:\d\d", str(exc.value))
    with dblock.writer(db):  # released on leaving the block
        pass


def test_readers_share_and_block_a_writer(tmp_path):
    db = tmp_path / "aos.duckdb"
    with dblock.reader(db, wait=0), dblock.reader(db, wait=0):
        with pytest.raises(Busy, match="gave up after 0.2 s"):
            with dblock.hold(dblock.lock_path(db), "database", wait=0.2):
                pass


def test_in_memory_database_takes_no_lock_file(tmp_path, monkeypatch):
    import duckdb

    from pipeline.ingest import ingest_extract
    monkeypatch.chdir(tmp_path)
    name = ":memory:aos_lock_test"
    con = duckdb.connect(name)  # keeps the named in-memory database alive
    try:
        ingest_extract(FIXTURE, name, progress=False)
        assert con.execute("SELECT count(*) FROM patients").fetchone()[0] > 0
    finally:
        con.close()
    assert list(tmp_path.iterdir()) == []
