"""OMOP CDM input (SPEC §8): read an OMOP source into the canonical tables, and export the
review cohort back as an OMOP `cohort` table. See docs/omop.md.

Public API: `ingest_omop`, `cancer_source`, `write_cohort`.
"""
from .cohort_out import write_cohort
from .ingest import CANCER_SOURCE, OmopSummary, cancer_source, ingest_omop, report_notes

__all__ = ["ingest_omop", "cancer_source", "report_notes", "write_cohort", "OmopSummary", "CANCER_SOURCE"]
