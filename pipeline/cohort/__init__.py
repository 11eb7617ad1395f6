"""The AOS criteria engine and the monthly review cohort (SPEC §2-4, §6).

`rules` loads and validates the versioned rules file (the clinical source), the SQL of
`sql/cohort/` runs through `pipeline.sqlfiles`, `engine` computes months, `outputs` writes the CSVs and the manifest.
"""
