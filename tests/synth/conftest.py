"""Shared fixtures: small synthetic extracts, generated once per test session."""
from __future__ import annotations

import pytest

from pipeline.synth import Options, run


def make(out, patients, month_from=(2023, 1), month_to=(2024, 12), **kw):
    run(Options(patients, month_from, month_to, out, progress=False, **kw))
    return out


@pytest.fixture(scope="session")
def calibration_dir(tmp_path_factory):
    """100,000 patients x 4 years: large enough for the calibration targets (about 200 AOS starts)."""
    return make(tmp_path_factory.mktemp("calib") / "x", 100_000, (2022, 1), (2025, 12), seed=7)


@pytest.fixture(scope="session")
def small_dir(tmp_path_factory):
    return make(tmp_path_factory.mktemp("small") / "x", 2_500, seed=3)


@pytest.fixture(scope="session")
def swedish_dir(tmp_path_factory):
    return make(tmp_path_factory.mktemp("sv") / "x", 2_500, seed=3, fmt="csv", swedish_csv=True)
