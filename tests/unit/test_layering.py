"""Imports point down the layers of docs/architecture.md: a module never imports a higher layer."""
import ast
from pathlib import Path

import pipeline

ROOT = Path(pipeline.__file__).parent
# top-level module or package of pipeline -> layer (higher may import lower or equal, never up)
LAYERS = {
    **dict.fromkeys(("errors", "paths", "log", "safetext", "reasons", "schema", "sqlfiles",
                     "months", "disclosure", "dblock", "publish", "docs", "__init__"), 0),
    **dict.fromkeys(("ingest", "synth"), 1),
    "cohort": 2,
    **dict.fromkeys(("report", "evaluate", "omop"), 3),
    **dict.fromkeys(("commands", "cli", "api"), 4),
}


def _unit(path: Path) -> str:
    rel = path.relative_to(ROOT).parts
    return rel[0].removesuffix(".py")


def _imports(path: Path, source: str | None = None):
    """Top-level pipeline units imported by `path` (absolute and relative imports)."""
    pkg = path.relative_to(ROOT).parent.parts
    source = path.read_text(encoding="utf-8") if source is None else source
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(pkg[:len(pkg) - node.level + 1]) + (node.module or "").split(".")
                base = [b for b in base if b]
                names = [base[0]] if base else [a.name for a in node.names]
            elif node.module and node.module.split(".")[0] == "pipeline":
                parts = node.module.split(".")[1:]
                names = parts[:1] or [a.name for a in node.names]
            else:
                continue
            yield from names
        elif isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                if parts[0] == "pipeline" and len(parts) > 1:
                    yield parts[1]


def test_every_module_has_a_layer():
    units = {_unit(p) for p in ROOT.rglob("*.py")}
    assert units <= set(LAYERS), f"add to LAYERS and docs/architecture.md: {units - set(LAYERS)}"


def test_no_lower_layer_imports_a_higher_one():
    bad = []
    for path in ROOT.rglob("*.py"):
        own = 4 if path.name == "__main__.py" else LAYERS[_unit(path)]  # entry points are commands
        for name in _imports(path):
            if name in LAYERS and LAYERS[name] > own:
                bad.append(f"{path.relative_to(ROOT)} (layer {own}) imports {name} (layer {LAYERS[name]})")
    assert not bad, "\n".join(bad)


def test_the_check_sees_relative_and_absolute_imports():
    f = ROOT / "cohort" / "engine.py"
    assert set(_imports(f, "from ..report import build\nimport pipeline.api\nfrom . import rules\n"
                           "from .. import months\n")) == {"report", "api", "cohort", "months"}
