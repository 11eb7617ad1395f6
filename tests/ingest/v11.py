"""Small extracts built at run time for the SPEC v1.1 ingest-rule tests."""
from __future__ import annotations

from pathlib import Path

PATIENTS = "patient_id,birth_year,sex,care_unit_id\np1,1950,F,u\np2,1960,M,u\n"
CONTACTS = "patient_id,contact_date\np1,2025-01-10\np2,2025-02-11\n"
LABS = "patient_id,sample_date,analyte,value,unit\np1,2025-01-10,hb,130,g/L\n"


def write_extract(d: Path, **tables: str) -> Path:
    """An extract with one valid row per required table unless given; `toml=` writes extract.toml."""
    d.mkdir(parents=True, exist_ok=True)
    files = {"patients": PATIENTS, "contacts": CONTACTS, "lab_results": LABS, **tables}
    for name, text in files.items():
        if name == "toml":
            (d / "extract.toml").write_text(text, encoding="utf-8")
        elif text is not None:
            (d / f"{name}.csv").write_text(text, encoding="utf-8")
    return d
