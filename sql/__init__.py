"""The SQL files, installed as the package `pipeline.sql` (see pyproject.toml, package-dir).

Edit SQL here; the code reads it through `pipeline.paths.SQL_DIR` (importlib.resources)."""
