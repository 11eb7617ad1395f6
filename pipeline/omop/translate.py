"""OMOP rows -> canonical rows (SPEC §8), as set-based SQL over the staged OMOP tables.

`classify` turns one staged OMOP table `omop_<t>` into `omop_c_<t>`: per source row `_row` its
canonical target table (`_target`), its outcome (`use`, `quarantine` or `not_used`) with the
column and reason, and the canonical values as text. The canonical values are then validated
by the ordinary ingest (pipeline.ingest.normalise / load), so a translated row is checked
exactly like a row of a canonical extract.
"""
from __future__ import annotations

from ..ingest.normalise import ATC_RE, ICD10_RE
from ..ingest.reference import ident

# OMOP columns without which a table cannot be read.
REQUIRED = {
    "person": ("person_id", "year_of_birth", "gender_concept_id"),
    "observation_period": ("person_id", "observation_period_start_date", "observation_period_end_date"),
    "death": ("person_id", "death_date"),
    "visit_occurrence": ("person_id", "visit_start_date"),
    "condition_occurrence": ("person_id", "condition_start_date"),
    "drug_exposure": ("person_id", "drug_exposure_start_date"),
    "measurement": ("person_id", "measurement_date"),
    "observation": ("person_id", "observation_date"),
    "procedure_occurrence": ("person_id", "procedure_date"),
    "care_site": ("care_site_id",),
}
# OMOP table -> {canonical table: {canonical column: column of omop_c_<t>}}
PARTS = {
    "person": {"patients": {c: c for c in ("patient_id", "birth_year", "sex", "care_unit_id",
                                           "listed_from", "listed_to", "death_date")}},
    "visit_occurrence": {"contacts": {c: c for c in ("patient_id", "contact_date", "care_unit_id",
                                                     "contact_type")}},
    "condition_occurrence": {"diagnoses": {"patient_id": "patient_id", "diagnosis_date": "event_date",
                                           "icd10": "icd10"},
                             "cancer_diagnoses": {"patient_id": "patient_id",
                                                  "diagnosis_date": "event_date", "icd10": "icd10"}},
    "drug_exposure": {"prescriptions": {"patient_id": "patient_id", "prescribed_date": "event_date",
                                        "atc_code": "atc_code"}},
    "measurement": {"lab_results": {"patient_id": "patient_id", "sample_date": "event_date",
                                    "analyte": "analyte", "value": "lab_value", "unit": "unit",
                                    "ref_low": "ref_low", "ref_high": "ref_high"},
                    "observations": {"patient_id": "patient_id", "obs_date": "event_date",
                                     "kind": "analyte", "value": "number", "unit": "unit"}},
    "observation": {"diagnoses": {"patient_id": "patient_id", "diagnosis_date": "event_date",
                                  "icd10": "icd10"},
                    "cancer_diagnoses": {"patient_id": "patient_id", "diagnosis_date": "event_date",
                                         "icd10": "icd10"},
                    "observations": {"patient_id": "patient_id", "obs_date": "event_date",
                                     "kind": "analyte", "value": "number", "unit": "unit"}},
    "procedure_occurrence": {"referrals": {"patient_id": "patient_id", "event_date": "event_date",
                                           "pathway": "pathway", "event": "event"}},
    "care_site": {"care_units": {"care_unit_id": "care_unit_id", "name": "name"}},
}
# Tables that only feed columns of patients (listing, death): counted, never loaded on their own.
FEEDS = {"observation_period": "patients.listed_from/listed_to", "death": "patients.death_date"}
CANCER = "regexp_full_match(icd10, 'C[0-9]{2}.*') AND TRY_CAST(substr(icd10, 2, 2) AS INTEGER) <= 97"


class Cols:
    """Text expressions for the columns of a staged OMOP table (NULL when the column is absent)."""

    def __init__(self, alias: str, present: list[str]):
        self.alias, self.present = alias, set(present)

    def __call__(self, name: str) -> str:
        if name not in self.present:
            return "CAST(NULL AS VARCHAR)"
        x = f"trim({self.alias}.{ident(name)})"
        if name.endswith("_id") or name == "year_of_birth":  # ids typed as floats (8532.0) by some writers
            x = f"regexp_replace({x}, '^(-?\\d+)\\.0+$', '\\1')"
        return f"nullif({x}, '')"


def _concept(alias: str, id_expr: str) -> str:
    """LEFT JOIN of the source's concept table; concept 0 (no matching concept) is no evidence."""
    return f"LEFT JOIN omop_concept {alias} ON {alias}.concept_id = {id_expr} AND {alias}.concept_id <> '0'"


def _icd(value: str, concept: str) -> tuple[str, str]:
    """(ICD-10 code or NULL, reason when NULL) from a source value and its source concept `concept`.
    The concept's vocabulary decides when it is known; else the value must be shaped like ICD-10."""
    sv = f"upper(regexp_replace(coalesce({value}, ''), '[.\\s]', '', 'g'))"
    icd_vocab = f"{concept}.vocabulary_id IN (SELECT code FROM omop_codes WHERE kind = 'icd10_vocabulary')"
    shaped = f"regexp_full_match({sv}, '{ICD10_RE}')"
    code = (f"CASE WHEN {icd_vocab} THEN CASE WHEN {shaped} THEN {sv} ELSE {concept}.concept_code END "
            f"WHEN {concept}.concept_id IS NULL AND {shaped} THEN {sv} END")
    reason = (f"CASE WHEN {concept}.concept_id IS NOT NULL THEN 'source concept of vocabulary ' || "
              f"{concept}.vocabulary_id || ', not ICD-10' ELSE 'source value is not an ICD-10 code' END")
    return code, reason


def _loinc(value: str, *concepts: str) -> str:
    sv = f"coalesce({value}, '')"
    whens = " ".join(f"WHEN {c}.vocabulary_id = 'LOINC' THEN {c}.concept_code" for c in concepts)
    return f"CASE WHEN regexp_full_match({sv}, '\\d{{1,7}}-\\d') THEN {sv} {whens} END"


def _unit(c: Cols) -> tuple[str, str]:
    """(join, unit expression): unit_source_value, else the unit concept's code; UCUM -> §1.1."""
    join = (f"{_concept('uc', c('unit_concept_id'))} "
            f"LEFT JOIN omop_ucum um ON um.ucum = coalesce({c('unit_source_value')}, uc.concept_code)")
    return join, f"coalesce(um.unit, {c('unit_source_value')}, uc.concept_code)"


def classify_sql(name: str, present: list[str]) -> str:
    c = Cols("t", present)
    head = "SELECT t._row"
    if name == "person":
        return f"""{head}, 'patients' AS _target, 'use' AS _outcome, NULL AS _col, NULL AS _reason,
            {c('person_id')} AS patient_id, {c('year_of_birth')} AS birth_year,
            coalesce(g.value, {c('gender_source_value')}) AS sex,
            coalesce({c('care_site_id')}, 'unknown') AS care_unit_id,
            op.listed_from, op.listed_to, d.death_date
            FROM omop_person t
            LEFT JOIN omop_codes g ON g.kind = 'gender' AND g.code = {c('gender_concept_id')}
            LEFT JOIN omop_listing op ON op.person_id = {c('person_id')}
            LEFT JOIN omop_death_date d ON d.person_id = {c('person_id')}"""
    if name == "visit_occurrence":
        return f"""{head}, 'contacts' AS _target, 'use' AS _outcome, NULL AS _col, NULL AS _reason,
            {c('person_id')} AS patient_id, {c('visit_start_date')} AS contact_date,
            {c('care_site_id')} AS care_unit_id, v.value AS contact_type
            FROM omop_visit_occurrence t
            LEFT JOIN omop_codes v ON v.kind = 'visit' AND v.code = {c('visit_concept_id')}"""
    if name == "condition_occurrence":
        code, why = _icd(c("condition_source_value"), "sc")
        return f"""SELECT *, coalesce({CANCER}, false) AS _cancer FROM (
            SELECT _row, 'diagnoses' AS _target, CASE WHEN icd10 IS NULL THEN 'not_used' ELSE 'use' END AS _outcome,
                NULL AS _col, CASE WHEN icd10 IS NULL THEN why END AS _reason, patient_id, event_date, icd10
            FROM ({head}, {c('person_id')} AS patient_id, {c('condition_start_date')} AS event_date,
                  {code} AS icd10, {why} AS why
                  FROM omop_condition_occurrence t {_concept('sc', c('condition_source_concept_id'))}))"""
    if name == "drug_exposure":
        sv = f"upper(regexp_replace(coalesce({c('drug_source_value')}, ''), '\\s', '', 'g'))"
        code = f"CASE WHEN regexp_full_match({sv}, '{ATC_RE}') THEN {sv} ELSE a.atc END"
        vocab = "(SELECT count(*) > 0 FROM omop_atc)"
        return f"""{head}, 'prescriptions' AS _target,
            CASE WHEN {code} IS NULL THEN 'not_used' ELSE 'use' END AS _outcome, NULL AS _col,
            CASE WHEN {code} IS NOT NULL THEN NULL WHEN {vocab}
                 THEN 'no ATC code: drug_source_value is not ATC and drug_concept_id has no ATC ancestor'
                 ELSE 'no ATC code: drug_source_value is not ATC and the source has no ATC vocabulary (concept, concept_ancestor)' END AS _reason,
            {c('person_id')} AS patient_id, {c('drug_exposure_start_date')} AS event_date, {code} AS atc_code
            FROM omop_drug_exposure t LEFT JOIN omop_atc a ON a.drug_concept_id = {c('drug_concept_id')}"""
    if name in ("measurement", "observation"):
        return _measured(name, c)
    if name == "procedure_occurrence":
        code = f"upper({c('procedure_source_value')})"
        return f"""{head}, 'referrals' AS _target,
            CASE WHEN k.code IS NULL THEN 'not_used' ELSE 'use' END AS _outcome, NULL AS _col,
            CASE WHEN k.code IS NULL THEN 'not a KVÅ pathway code (VP810, VP872, VP878, VP870, VP874)' END AS _reason,
            {c('person_id')} AS patient_id, {c('procedure_date')} AS event_date, k.code AS event,
            coalesce(pw.value, 'unknown') AS pathway
            FROM omop_procedure_occurrence t
            LEFT JOIN omop_codes k ON k.kind = 'kva' AND k.code = {code}
            LEFT JOIN omop_codes pw ON pw.kind = 'pathway' AND lower(pw.code) = lower({c('modifier_source_value')})"""
    if name == "care_site":
        return f"""{head}, 'care_units' AS _target, 'use' AS _outcome, NULL AS _col, NULL AS _reason,
            {c('care_site_id')} AS care_unit_id, {c('care_site_name')} AS name FROM omop_care_site t"""
    raise ValueError(name)


def _measured(name: str, c: Cols) -> str:
    """measurement: LOINC -> lab_results or observations (weight); observation: weight by LOINC,
    diagnoses by an ICD-10 source, else not used."""
    unit_join, unit = _unit(c)
    loinc = _loinc(c(f"{name}_source_value"), "mc", "msc")
    op = c("operator_concept_id")
    if name == "observation":
        icd, icd_why = _icd(c("observation_source_value"), "msc")
        only = "AND m.target = 'observations'"
    else:
        icd, icd_why, only = "CAST(NULL AS VARCHAR)", "'not a LOINC code'", ""
    target = "coalesce(m.target, CASE WHEN x.icd10 IS NOT NULL THEN 'diagnoses' END)"
    return f"""SELECT *, coalesce(_target = 'diagnoses' AND {CANCER}, false) AS _cancer FROM (
        SELECT _row, _target, _outcome,
            CASE WHEN _outcome = 'quarantine' THEN 'operator_concept_id' END AS _col,
            CASE WHEN _outcome = 'quarantine' THEN 'operator_concept_id: not a known comparison operator concept'
                 WHEN _outcome = 'not_used' AND loinc IS NULL THEN icd_why
                 WHEN _outcome = 'not_used' THEN 'LOINC code not in the {name} map (pipeline/data/omop/loinc_analyte.csv)'
            END AS _reason,
            patient_id, event_date, analyte,
            CASE WHEN number IS NOT NULL THEN op_text || number ELSE value_text END AS lab_value,
            number, unit, ref_low, ref_high, icd10
        FROM (SELECT x.*, {target} AS _target, m.analyte,
                CASE WHEN {target} IS NULL THEN 'not_used'
                     WHEN m.target = 'lab_results' AND op_given AND NOT op_known THEN 'quarantine'
                     ELSE 'use' END AS _outcome
              FROM (SELECT t._row, {c('person_id')} AS patient_id, {c(f'{name}_date')} AS event_date,
                        {loinc} AS loinc, {icd} AS icd10, {icd_why} AS icd_why,
                        {c('value_as_number')} AS number, {c('value_source_value')} AS value_text,
                        coalesce(o.value, '') AS op_text, {op} IS NOT NULL AS op_given,
                        o.code IS NOT NULL AS op_known, {unit} AS unit,
                        {c('range_low')} AS ref_low, {c('range_high')} AS ref_high
                    FROM omop_{name} t {_concept('mc', c(f'{name}_concept_id'))}
                    {_concept('msc', c(f'{name}_source_concept_id'))}
                    LEFT JOIN omop_codes o ON o.kind = 'operator' AND o.code = {op}
                    {unit_join}) x
              LEFT JOIN omop_loinc m ON m.loinc = x.loinc {only}))"""


def feeds_sql(present: dict[str, list[str]]) -> list[str]:
    """TEMP tables omop_listing (person_id, listed_from, listed_to) and omop_death_date, and the
    classification of observation_period / death rows (used or not used, by reason)."""
    out = []
    pid = Cols("p0", present["person"])("person_id")
    if "observation_period" in present:
        c = Cols("t", present["observation_period"])
        s, e = c("observation_period_start_date"), c("observation_period_end_date")
        out.append(f"""CREATE OR REPLACE TEMP TABLE omop_c_observation_period AS
            SELECT t._row, {c('person_id')} AS person_id, aos_date({s}) AS d_from, aos_date({e}) AS d_to,
                CASE WHEN p.pid IS NULL THEN 'person_id not in person'
                     WHEN aos_date({s}) IS NULL OR aos_date({e}) IS NULL THEN 'start or end date is not a valid date'
                END AS _reason
            FROM omop_observation_period t
            LEFT JOIN (SELECT DISTINCT {pid} AS pid FROM omop_person p0) p ON p.pid = {c('person_id')}""")
        out.append("""CREATE OR REPLACE TEMP TABLE omop_listing AS SELECT person_id,
            strftime(min(d_from), '%Y-%m-%d') AS listed_from, strftime(max(d_to), '%Y-%m-%d') AS listed_to
            FROM omop_c_observation_period WHERE _reason IS NULL GROUP BY person_id""")
    else:
        out.append("CREATE OR REPLACE TEMP TABLE omop_listing (person_id VARCHAR, listed_from VARCHAR, "
                   "listed_to VARCHAR)")
    if "death" in present:
        c = Cols("t", present["death"])
        out.append(f"""CREATE OR REPLACE TEMP TABLE omop_c_death AS
            SELECT t._row, {c('person_id')} AS person_id, {c('death_date')} AS death_text,
                CASE WHEN p.pid IS NULL THEN 'person_id not in person' END AS _reason
            FROM omop_death t
            LEFT JOIN (SELECT DISTINCT {pid} AS pid FROM omop_person p0) p ON p.pid = {c('person_id')}""")
        # the earliest valid date; a person whose only death date is invalid keeps the text, so
        # that the patients row is quarantined with the ordinary reason
        out.append("""CREATE OR REPLACE TEMP TABLE omop_death_date AS SELECT person_id,
            coalesce(strftime(min(aos_date(death_text)), '%Y-%m-%d'), min(death_text)) AS death_date
            FROM omop_c_death WHERE _reason IS NULL GROUP BY person_id""")
    else:
        out.append("CREATE OR REPLACE TEMP TABLE omop_death_date (person_id VARCHAR, death_date VARCHAR)")
    return out
