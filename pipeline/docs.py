"""Generate docs/data-dictionary.md from the schema (`python -m pipeline.docs`)."""
from __future__ import annotations

import sys
from pathlib import Path

from .paths import REPO_DIR
from .schema import TABLES

DICTIONARY_PATH = REPO_DIR / "docs" / "data-dictionary.md"


def data_dictionary() -> str:
    lines = [
        "# Data dictionary",
        "",
        "Generated from `pipeline/schema.py` by `make docs` (`python -m pipeline.docs`); "
        "do not edit by hand. A test fails when this file is out of date.",
        "",
        "*Required* columns must be present in the extract file and non-empty. "
        "*Derived* columns are computed by ingest.",
        "",
    ]
    for t in TABLES:
        origin = "written by the pipeline" if t.internal else (
            "required table" if t.required else "optional table")
        lines += [f"## `{t.name}` ({origin})", "", t.description, ""]
        if t.key:
            lines += [f"Unique key: `{', '.join(t.key)}`.", ""]
        lines += ["| column | type | kind | required | description | constraint |",
                  "|---|---|---|---|---|---|"]
        for c in t.columns:
            req = ("derived" if c.derived else "yes" if c.required
               else "column yes, value may be empty" if c.present else "no")
            lines.append(f"| `{c.name}` | {c.dtype} | {c.kind} | {req} | {c.description} | {c.constraint} |")
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    DICTIONARY_PATH.parent.mkdir(parents=True, exist_ok=True)
    DICTIONARY_PATH.write_text(data_dictionary(), encoding="utf-8")
    print(f"wrote {DICTIONARY_PATH.relative_to(REPO_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
