"""The AOS criteria engine and the monthly review cohort (SPEC §2-4, §6).

`rules` loads and validates the versioned rules file, `sqlrun` renders and runs the SQL
in `sql/cohort/`, `engine` computes months, `outputs` writes the CSVs and the manifest.
"""
