"""The monthly quality report (SPEC §6): measures, yield, pathway quality, data quality,
with disclosure control, written as report.html, report.xlsx, figures/ and releasable/.

    write_report(db_path, month, out_dir, lang="sv", suppression=True)
"""
from __future__ import annotations

from .build import write_report

__all__ = ["write_report"]
