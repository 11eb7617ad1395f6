"""Shared fixtures: one tiny database and the reports written from it (built once)."""
from __future__ import annotations

import pytest

from pipeline.report import write_report

from .fixture_db import REPORT_MONTH, build


@pytest.fixture(scope="session")
def fixture_db(tmp_path_factory):
    return build(tmp_path_factory.mktemp("db") / "aos.duckdb")


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
