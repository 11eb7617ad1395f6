"""Where the project's data files live (rules, SQL, maps, the bundled sample)."""
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
DATA_DIR = PACKAGE_DIR / "data"  # shipped maps and rules (package data)
SQL_DIR = REPO_DIR / "sql"
SAMPLE_DIR = REPO_DIR / "data_samples"
