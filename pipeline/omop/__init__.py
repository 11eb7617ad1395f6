"""OMOP CDM input (SPEC §8): read an OMOP source into the canonical tables (`ingest.ingest_omop`),
and export the review cohort as an OMOP `cohort` table (`cohort_out.write_cohort`).
See docs/omop.md. Kept empty so that `aos --help` imports no heavy library.
"""
