"""Canonical database -> OMOP CDM tables: the converter used by the equivalence test and by
benchmarks/bench_omop.py. Written independently of the reader, from the CDM table definitions."""
from __future__ import annotations

import duckdb

from pipeline.ingest.reference import read_data_csv

KVA = {"start": "VP810", "end_cancer": "VP872", "end_dismissed": "VP878", "end_not_met": "VP870",
       "end_other": "VP874"}
UCUM = {"µkat/L": "ukat/L", "10^9/L": "10*9/L", "µg/L": "ug/L", "µmol/L": "umol/L"}
OPERATOR = {"<": "4171756", ">": "4172704"}


def _case(expr: str, mapping: dict, default: str) -> str:
    whens = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in mapping.items())
    return f"CASE {expr} {whens} ELSE {default} END"


def to_omop(db, out, fmt: str = "csv") -> None:
    """Canonical database -> OMOP CDM files in `out` (csv or parquet)."""
    out.mkdir()
    loinc = {}
    for r in read_data_csv("omop/loinc_analyte.csv"):
        loinc.setdefault((r["analyte"], r["target"]), r["loinc"])
    lab_loinc = _case("analyte", {a: c for (a, t), c in loinc.items() if t == "lab_results"}, "NULL")
    tables = {
        "person": """SELECT patient_id AS person_id, CASE sex WHEN 'F' THEN 8532 WHEN 'M' THEN 8507 ELSE 0 END
                     AS gender_concept_id, birth_year AS year_of_birth, care_unit_id AS care_site_id FROM patients""",
        "observation_period": """SELECT patient_id AS person_id,
                     coalesce(listed_from, DATE '1900-01-01') AS observation_period_start_date,
                     coalesce(listed_to, DATE '2099-12-31') AS observation_period_end_date FROM patients
                     WHERE listed_from IS NOT NULL OR listed_to IS NOT NULL""",
        "death": "SELECT patient_id AS person_id, death_date FROM patients WHERE death_date IS NOT NULL",
        "care_site": "SELECT care_unit_id AS care_site_id, name AS care_site_name FROM care_units",
        "visit_occurrence": """SELECT patient_id AS person_id, contact_date AS visit_start_date,
                     9202 AS visit_concept_id, care_unit_id AS care_site_id FROM contacts""",
        "condition_occurrence": """SELECT patient_id AS person_id, diagnosis_date AS condition_start_date,
                     icd10 AS condition_source_value, 0 AS condition_source_concept_id FROM diagnoses
                     UNION ALL SELECT patient_id, diagnosis_date, icd10, 0 FROM cancer_diagnoses""",
        "drug_exposure": """SELECT patient_id AS person_id, prescribed_date AS drug_exposure_start_date,
                     0 AS drug_concept_id, atc_code AS drug_source_value FROM prescriptions""",
        "measurement": f"""SELECT patient_id AS person_id, sample_date AS measurement_date,
                     {lab_loinc} AS measurement_source_value, value AS value_as_number,
                     {_case('value_qualifier', OPERATOR, "''")} AS operator_concept_id,
                     {_case('unit', UCUM, 'unit')} AS unit_source_value,
                     CASE WHEN value IS NULL THEN value_text END AS value_source_value FROM lab_results
                     UNION ALL SELECT patient_id, obs_date, '{loinc[('weight', 'observations')]}', value,
                     '', unit, NULL FROM observations WHERE kind = 'weight'""",
        "procedure_occurrence": f"""SELECT patient_id AS person_id, event_date AS procedure_date,
                     {_case('event', KVA, 'NULL')} AS procedure_source_value,
                     pathway AS modifier_source_value FROM referrals""",
    }
    with duckdb.connect(str(db), read_only=True) as con:
        for name, sql in tables.items():
            opts = "(FORMAT parquet)" if fmt == "parquet" else "(HEADER, DELIMITER ',')"
            con.execute(f"COPY ({sql}) TO '{out / (name + '.' + fmt)}' {opts}")
