"""Shipped reference data (pipeline/data) and SQL macros, loaded into TEMP tables for ingest.

- npu_map.csv      NPU code -> analyte
- units.csv        analyte units and exact conversion factors; presence-only analytes
- ingest_codes.csv sex codes, referral events (incl. KVÅ codes), observation kinds
- limits.csv       physiologically impossible values (SPEC §1.1 v1.1)
"""
from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from ..paths import DATA_DIR, SQL_DIR
from ..sqlfiles import literal

MACROS_SQL = SQL_DIR / "ingest" / "macros.sql"


def read_data_csv(name: str) -> list[dict[str, str]]:
    """Rows of a shipped CSV; lines starting with '#' are comments."""
    path = Path(DATA_DIR) / name
    with path.open(encoding="utf-8", newline="") as f:
        lines = [line for line in f if not line.lstrip().startswith("#")]
    return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(lines)]


@lru_cache(maxsize=1)
def code_spellings() -> dict[str, list[str]]:
    """{kind: codes as spelled in ingest_codes.csv} (for messages)."""
    out: dict[str, list[str]] = {}
    for row in read_data_csv("ingest_codes.csv"):
        out.setdefault(row["kind"], []).append(row["code"])
    return out


@lru_cache(maxsize=1)
def codes() -> dict[str, dict[str, str]]:
    """{kind: {lower-case code: canonical}} from ingest_codes.csv."""
    out: dict[str, dict[str, str]] = {}
    for row in read_data_csv("ingest_codes.csv"):
        out.setdefault(row["kind"], {})[row["code"].lower()] = row["canonical"]
    return out


def units_rows() -> list[dict[str, str]]:
    return read_data_csv("units.csv")


def npu_rows() -> list[dict[str, str]]:
    return read_data_csv("npu_map.csv")


def limits_rows() -> list[dict[str, str]]:
    return read_data_csv("limits.csv")


def impossible_limits() -> list[tuple]:
    """(analyte, lowest, highest, reason below, reason above) for every analyte or observation
    kind with a canonical unit: limits.csv where listed, else "negative is impossible"."""
    listed = {r["analyte"]: r for r in limits_rows()}
    out = []
    for a in dict.fromkeys(r["analyte"] for r in units_rows() if r["unit"]):
        r = listed.get(a)
        if r is None:
            out.append((a, 0.0, None, f"impossible value: {a} is negative", None))
            continue
        unit = r["unit"]
        out.append((a, float(r["lowest"]), float(r["highest"]),
                    f"impossible value: {a} below {r['lowest']} {unit}",
                    f"impossible value: {a} above {r['highest']} {unit}"))
    return out


def install(con) -> None:
    """Create the TEMP macros and reference tables on `con` (inside the ingest transaction)."""
    con.execute(MACROS_SQL.read_text(encoding="utf-8"))
    con.execute("CREATE OR REPLACE TEMP TABLE aos_units (analyte VARCHAR, unit_key VARCHAR, "
                "multiply DOUBLE, divide DOUBLE, canonical_unit VARCHAR)")
    conv = [r for r in units_rows() if r["unit"]]
    if conv:
        con.executemany(
            "INSERT INTO aos_units VALUES (?, aos_unit_key(?), ?, ?, ?)",
            [(r["analyte"], r["unit"], float(r["multiply"]), float(r["divide"]), r["canonical_unit"])
             for r in conv])
    # Known analytes: key (upper case: canonical id or NPU code) -> analyte, presence_only.
    con.execute("CREATE OR REPLACE TEMP TABLE aos_analytes (key VARCHAR, analyte VARCHAR, "
                "presence_only BOOLEAN)")
    kinds: dict[str, bool] = {}
    for r in units_rows():
        kinds[r["analyte"]] = kinds.get(r["analyte"], True) and not r["unit"]
    rows = [(a.upper(), a, p) for a, p in kinds.items()]
    rows += [(r["code"].upper(), r["analyte"], kinds.get(r["analyte"], True)) for r in npu_rows()]
    con.executemany("INSERT INTO aos_analytes VALUES (?, ?, ?)", rows)
    con.execute("CREATE OR REPLACE TEMP TABLE aos_limits (analyte VARCHAR, lowest DOUBLE, highest DOUBLE, "
                "below VARCHAR, above VARCHAR)")
    con.executemany("INSERT INTO aos_limits VALUES (?, ?, ?, ?, ?)", impossible_limits())


def case_map(expr: str, mapping: dict[str, str]) -> str:
    """SQL CASE translating lower(expr) through `mapping` (lower-case keys); NULL when unknown."""
    whens = " ".join(f"WHEN {quote(k)} THEN {quote(v)}" for k, v in mapping.items())
    return f"(CASE lower({expr}) {whens} END)"


def quote(s) -> str:
    """`s` as a SQL string literal (through `pipeline.sqlfiles.literal`, the one escaper)."""
    return literal(str(s))


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
