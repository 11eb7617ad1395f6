"""Shared fixtures: one tiny database and the reports written from it (built once)."""
from __future__ import annotations

import pytest

from pipeline.report import write_report

from .fixture_db import REPORT_MONTH, build


@pytest.fixture(scope="session")
def fixture_db(tmp_path_factory):
    return build(tmp_path_factory.mktemp("db") / "aos.duckdb")


@pytest.fixture(scope="session")
def long_db(tmp_path_factory):
    """36 months ending with REPORT_MONTH: 24 complete yield months before the register date,
    so every summary card can compare with the previous 12 months."""
    return build(tmp_path_factory.mktemp("longdb") / "aos.duckdb", n_months=36)


@pytest.fixture(scope="session")
def report_long_sv(long_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("report_long_sv")
    write_report(long_db, REPORT_MONTH, out)
    return out


@pytest.fixture(scope="session")
def report_en(fixture_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("report_en")
    write_report(fixture_db, REPORT_MONTH, out, lang="en")
    return out


@pytest.fixture(scope="session")
def report_sv(fixture_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("report_sv")
    write_report(fixture_db, REPORT_MONTH, out)  # Swedish is the default
    return out


@pytest.fixture(scope="session")
def report_raw(fixture_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("report_raw")
    write_report(fixture_db, REPORT_MONTH, out, lang="en", suppression=False)
    return out
