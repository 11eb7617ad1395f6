"""Where the project's data files live: inside the installed package (importlib.resources).

The SQL is edited in the repository's `sql/` and the sample lives in `data_samples/`; the
package maps them to `pipeline.sql` and `pipeline.sample` (pyproject.toml, package-dir), so the
same paths work in a wheel and in the editable install.
"""
from importlib.resources import files
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"  # shipped maps, rules, templates (package data)
SQL_DIR = Path(files("pipeline.sql"))
SAMPLE_DIR = Path(files("pipeline.sample"))
# The source checkout: only for development tools (docs generators, tests), never at run time.
REPO_DIR = PACKAGE_DIR.parent
