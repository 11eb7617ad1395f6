"""The shipped OMOP mappings (pipeline/data/omop/*.csv) and the source's vocabulary tables,
as TEMP tables on the ingest connection."""
from __future__ import annotations

import hashlib

from ..ingest.reference import read_data_csv
from ..paths import DATA_DIR
from .source import OmopSource, relation

MAP_FILES = ("omop/loinc_analyte.csv", "omop/ucum_units.csv", "omop/omop_codes.csv")


def digest() -> str:
    """Hash of the shipped mapping files (part of the extract id: new maps, new ingest)."""
    h = hashlib.sha256()
    for name in MAP_FILES:
        h.update((DATA_DIR / name).read_bytes())
    return h.hexdigest()


def install(con, src: OmopSource) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE omop_loinc (loinc VARCHAR, target VARCHAR, analyte VARCHAR)")
    con.executemany("INSERT INTO omop_loinc VALUES (?, ?, ?)",
                    [(r["loinc"], r["target"], r["analyte"]) for r in read_data_csv(MAP_FILES[0])])
    con.execute("CREATE OR REPLACE TEMP TABLE omop_ucum (ucum VARCHAR, unit VARCHAR)")
    con.executemany("INSERT INTO omop_ucum VALUES (?, ?)",
                    [(r["ucum"], r["unit"]) for r in read_data_csv(MAP_FILES[1])])
    con.execute("CREATE OR REPLACE TEMP TABLE omop_codes (kind VARCHAR, code VARCHAR, value VARCHAR)")
    con.executemany("INSERT INTO omop_codes VALUES (?, ?, ?)",
                    [(r["kind"], r["code"], r["value"]) for r in read_data_csv(MAP_FILES[2])])
    # Vocabulary: only what the translation joins on; empty when the source has no concept table.
    con.execute("CREATE OR REPLACE TEMP TABLE omop_concept (concept_id VARCHAR, vocabulary_id VARCHAR, "
                "concept_class_id VARCHAR, concept_code VARCHAR)")
    if src.has("concept"):
        con.execute("INSERT INTO omop_concept SELECT trim(CAST(concept_id AS VARCHAR)), "
                    "trim(CAST(vocabulary_id AS VARCHAR)), trim(CAST(concept_class_id AS VARCHAR)), "
                    f"trim(CAST(concept_code AS VARCHAR)) FROM {relation(src, 'concept')}")
    # Most specific ATC ancestor of each drug concept (ATC 5th level first, then the longest code).
    con.execute("CREATE OR REPLACE TEMP TABLE omop_atc (drug_concept_id VARCHAR, atc VARCHAR)")
    if src.has("concept_ancestor") and src.has("concept"):
        con.execute(f"""INSERT INTO omop_atc
            SELECT drug, arg_min(code, (cls <> 'ATC 5th', -length(code), sep, code)) FROM (
              SELECT trim(CAST(a.descendant_concept_id AS VARCHAR)) AS drug, c.concept_code AS code,
                     c.concept_class_id AS cls, TRY_CAST(a.min_levels_of_separation AS INTEGER) AS sep
              FROM {relation(src, 'concept_ancestor')} a
              JOIN omop_concept c ON c.concept_id = trim(CAST(a.ancestor_concept_id AS VARCHAR))
              WHERE c.vocabulary_id IN (SELECT code FROM omop_codes WHERE kind = 'atc_vocabulary'))
            GROUP BY drug""")
