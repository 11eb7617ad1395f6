"""The analyst notebooks: stored without outputs, reach data only through pipeline.api, and
execute without error against a database built from the bundled sample."""
import ast
import json
import re
from pathlib import Path

import nbformat
import pytest

from pipeline.paths import REPO_DIR

NOTEBOOK_DIR = REPO_DIR / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
ALLOWED_IMPORTS = {"pipeline.api", "pipeline", "pandas", "matplotlib", "matplotlib.pyplot"}
SQL = re.compile(r"\b(SELECT|FROM\s+\w+\s+WHERE|INSERT\s+INTO|CREATE\s+TABLE|JOIN|GROUP\s+BY)\b")


def code_cells(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


def test_the_three_notebooks_exist():
    assert [p.name for p in NOTEBOOKS] == [
        "01_this_month.ipynb", "02_pathway_yield.ipynb", "03_backtest_and_model.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    for cell in raw["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name}: a cell has outputs"
            assert cell.get("execution_count") is None, f"{path.name}: a cell has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_imports_only_the_api_pandas_matplotlib_and_no_sql(path):
    for source in code_cells(path):
        assert not SQL.search(source), f"{path.name}: SQL in a notebook cell:\n{source}"
        assert ".execute(" not in source and ".sql(" not in source, f"{path.name}: runs SQL"
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [f"{node.module}.{a.name}" if node.module == "pipeline" else node.module
                         for a in node.names]
            else:
                continue
            for name in names:
                assert name in ALLOWED_IMPORTS, f"{path.name} imports {name}"


def test_sql_check_catches_sql():
    assert SQL.search("df = con.sql('SELECT * FROM review_list')")
    assert not SQL.search("review = api.review_list(con, month)  # select a month")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(path, notebook_db, monkeypatch, tmp_path):
    from nbclient import NotebookClient

    monkeypatch.setenv("AOS_DB", str(notebook_db))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=240, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError with the failing cell on error
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
