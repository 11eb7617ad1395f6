"""The one declaration of every table and column (SPEC §1).

This module drives the DuckDB DDL (`ddl()`), ingest validation (each column's
`kind` selects its normaliser), the synthetic generator (column names, kinds,
codes) and the data dictionary (`docs/data-dictionary.md`, see `pipeline.docs`).

Column kinds (what ingest does to a raw text value):
  id         trimmed text, non-empty; checked for personnummer (SPEC §5)
  text       trimmed text; empty -> NULL
  date       ISO YYYY-MM-DD or YYYYMMDD; not after the extract date, not before 1900
  year       integer 1900..extract year
  sex        F/M; accepts K/M, kvinna/man, female/male, 2/1 (1 = man, 2 = kvinna); else NULL
  icd10      upper case, dot removed: R63.4 -> R634
  atc        upper case WHO ATC code
  analyte    canonical analyte id, NPU code or mapped local name -> canonical id
  lab_value  number with optional comparator (<5, >100) and decimal comma (12,5)
  unit       spelling-normalised unit, converted to the analyte's canonical unit
  number     decimal number, decimal point or comma
  obs_kind   weight / height / temperature
  pathway    pathway name, upper case (AOS)
  referral_event  start/end_cancer/end_dismissed/end_not_met/end_other or KVÅ code
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # DuckDB type of the canonical column
    kind: str
    description: str
    required: bool = False  # must be present in the extract file and non-empty
    derived: bool = False  # computed by ingest, not read from the extract
    present: bool = False  # the file must have this column, but a value may be empty
    constraint: str = ""  # human-readable constraint (for the data dictionary)


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    required: bool = False  # the extract must contain this table
    internal: bool = False  # written by the pipeline, not read from an extract
    key: tuple[str, ...] = field(default_factory=tuple)  # uniqueness key, if any

    @property
    def input_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.derived)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if (c.required or c.present) and not c.derived)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


PATIENT_ID = Column(
    "patient_id", "VARCHAR", "id",
    "Pseudonymous patient identifier. Must never be a personnummer or samordningsnummer.",
    required=True, constraint="non-empty; not a personnummer (SPEC §5)",
)


def _pid(description: str = "") -> Column:
    if not description:
        return PATIENT_ID
    return Column(PATIENT_ID.name, PATIENT_ID.dtype, PATIENT_ID.kind, description,
                  required=True, constraint="must exist in patients")


TABLES: tuple[Table, ...] = (
    Table(
        "patients",
        "One row per patient: demography, listing and death.",
        (
            PATIENT_ID,
            Column("birth_year", "INTEGER", "year",
                   "Year of birth. Derived from birth_date when only that is given.",
                   constraint="1900 .. extract year; required unless birth_date is given"),
            Column("birth_date", "DATE", "date",
                   "Exact date of birth, when the extract has it (gives exact age).",
                   constraint="optional"),
            Column("sex", "VARCHAR", "sex",
                   "F or M (accepts K/M, kvinna/man, female/male, 2/1); NULL = unknown (empty or "
                   "another coding): the patient is kept, esr_high and the sex-specific Hb limit "
                   "count as not met (SPEC §1 v1.1).",
                   present=True, constraint="F, M or NULL (unknown) after mapping; the column must exist"),
            Column("care_unit_id", "VARCHAR", "text",
                   "The unit the patient is listed at now (listad vårdcentral).", required=True),
            Column("listed_from", "DATE", "date", "First day of listing at the unit.",
                   constraint="optional"),
            Column("listed_to", "DATE", "date", "Last day of listing at the unit.",
                   constraint="optional; on or after listed_from"),
            Column("death_date", "DATE", "date", "Date of death.", constraint="optional"),
        ),
        required=True,
        key=("patient_id",),
    ),
    Table(
        "contacts",
        "All healthcare contacts: visits, phone, digital, home.",
        (
            _pid("Patient of the contact."),
            Column("contact_date", "DATE", "date", "Date of the contact.", required=True),
            Column("care_unit_id", "VARCHAR", "text", "Unit of the contact.", constraint="optional"),
            Column("contact_type", "VARCHAR", "text", "visit, phone, digital, home ...",
                   constraint="optional"),
            Column("professional", "VARCHAR", "text", "doctor, nurse ...", constraint="optional"),
        ),
        required=True,
    ),
    Table(
        "prescriptions",
        "Prescriptions with WHO ATC codes.",
        (
            _pid("Patient prescribed for."),
            Column("prescribed_date", "DATE", "date", "Date of prescription.", required=True),
            Column("atc_code", "VARCHAR", "atc", "WHO ATC code, upper case.", required=True,
                   constraint="letter + 2 digits, optionally up to the 7-character substance level"),
            Column("ddd", "DOUBLE", "number", "Defined daily doses prescribed.", constraint="optional; >= 0"),
        ),
    ),
    Table(
        "lab_results",
        "Laboratory results, stored in canonical analytes and units (SPEC §1.1).",
        (
            _pid("Patient sampled."),
            Column("sample_date", "DATE", "date", "Date the sample was taken.", required=True),
            Column("analyte", "VARCHAR", "analyte",
                   "Canonical analyte id (hb, alp, calcium, ...); NPU codes and mapped local names "
                   "are translated on ingest.", required=True),
            Column("value", "DOUBLE", "lab_value",
                   "Numeric value in the canonical unit, rounded to 6 decimals. For censored values "
                   "(<5, >100) the bound. NULL for a text result of a presence-only analyte.",
                   present=True,
                   constraint="numeric for analytes with a canonical unit"),
            Column("unit", "VARCHAR", "unit", "Canonical unit of the analyte (as given for presence-only analytes).",
                   required=True, constraint="a known spelling for the analyte (SPEC §1.1)"),
            Column("ref_low", "DOUBLE", "number", "Lab's lower reference limit (display only).",
                   constraint="optional"),
            Column("ref_high", "DOUBLE", "number", "Lab's upper reference limit (display only).",
                   constraint="optional"),
            Column("value_qualifier", "VARCHAR", "text",
                   "'<' or '>' when the reported value was censored, else NULL.", derived=True),
            Column("value_text", "VARCHAR", "text", "The value as reported, before parsing.", derived=True),
            Column("unit_reported", "VARCHAR", "text", "The unit as reported, before conversion.",
                   derived=True),
        ),
        required=True,
    ),
    Table(
        "diagnoses",
        "Primary-care diagnoses (ICD-10-SE).",
        (
            _pid("Patient diagnosed."),
            Column("diagnosis_date", "DATE", "date", "Date of the diagnosis.", required=True),
            Column("icd10", "VARCHAR", "icd10", "ICD-10-SE code without the dot (R63.4 -> R634).",
                   required=True, constraint="letter + 2 digits + optional subcodes"),
        ),
    ),
    Table(
        "observations",
        "Measurements: weight (kg), height (cm), temperature (°C).",
        (
            _pid("Patient measured."),
            Column("obs_date", "DATE", "date", "Date of the measurement.", required=True),
            Column("kind", "VARCHAR", "obs_kind", "weight, height or temperature.", required=True),
            Column("value", "DOUBLE", "number", "Value in the canonical unit (kg, cm, °C).", required=True),
            Column("unit", "VARCHAR", "unit", "Canonical unit: kg, cm or C.", required=True),
        ),
    ),
    Table(
        "referrals",
        "Standardised care pathway (SVF) events, e.g. AOS start and closing codes.",
        (
            _pid("Patient referred."),
            Column("event_date", "DATE", "date", "Date of the pathway event.", required=True),
            Column("pathway", "VARCHAR", "pathway", "Pathway, e.g. AOS.", required=True),
            Column("event", "VARCHAR", "referral_event",
                   "start, end_cancer, end_dismissed, end_not_met or end_other "
                   "(KVÅ VP810, VP872, VP878, VP870, VP874 are translated).", required=True),
            Column("care_unit_id", "VARCHAR", "text", "Referring unit.", constraint="optional"),
        ),
    ),
    Table(
        "cancer_diagnoses",
        "Cancer diagnoses from the regional cancer register linkage.",
        (
            _pid("Patient diagnosed."),
            Column("diagnosis_date", "DATE", "date", "Date of diagnosis.", required=True),
            Column("icd10", "VARCHAR", "icd10", "ICD-10 code without the dot (C18.7 -> C187).",
                   required=True),
        ),
    ),
    Table(
        "care_units",
        "Care units (vårdcentraler).",
        (
            Column("care_unit_id", "VARCHAR", "text", "Unit identifier.", required=True),
            Column("name", "VARCHAR", "text", "Unit name.", constraint="optional"),
            Column("region", "VARCHAR", "text", "Region.", constraint="optional"),
        ),
        key=("care_unit_id",),
    ),
    # -- written by the pipeline --------------------------------------------------
    Table(
        "quarantine",
        "Input rows that could not be loaded, with the reason. read = loaded + quarantined per file.",
        (
            Column("table_name", "VARCHAR", "text", "Canonical table the row was meant for.", required=True),
            Column("source_file", "VARCHAR", "text", "File name in the extract.", required=True),
            Column("source_row", "BIGINT", "number", "1-based data row number in the file (header excluded).",
                   required=True),
            Column("column_name", "VARCHAR", "text", "Column that failed (NULL for whole-row reasons).", ),
            Column("reason", "VARCHAR", "text", "Why the row was not loaded.", required=True),
            Column("extract_id", "VARCHAR", "text", "Extract the row came from (hash of its files)."),
        ),
        internal=True,
    ),
    Table(
        "ingest_files",
        "One row per ingested file: what was read, loaded and quarantined.",
        (
            Column("extract_id", "VARCHAR", "text", "Extract the file came from.", required=True),
            Column("table_name", "VARCHAR", "text", "Canonical table.", required=True),
            Column("source_file", "VARCHAR", "text", "File name.", required=True),
            Column("sha256", "VARCHAR", "text", "SHA-256 of the file bytes.", required=True),
            Column("rows_read", "BIGINT", "number", "Data rows in the file.", required=True),
            Column("rows_loaded", "BIGINT", "number", "Rows newly added to the table.", required=True),
            Column("rows_already_present", "BIGINT", "number",
                   "Valid rows already in the table from an earlier extract.", required=True),
            Column("rows_quarantined", "BIGINT", "number", "Rows sent to quarantine.", required=True),
            Column("ingested_at", "TIMESTAMP", "text", "When the file was ingested.", required=True),
        ),
        internal=True,
    ),
    Table(
        "extract_meta",
        "Facts about each ingested extract (from extract.toml, or derived from the data).",
        (
            Column("extract_id", "VARCHAR", "text", "Hash of the extract's files.", required=True),
            Column("extract_dir", "VARCHAR", "text", "Where it was read from.", required=True),
            Column("region", "VARCHAR", "text", "Region, if declared."),
            Column("extract_date", "DATE", "date", "Date the extract was taken."),
            Column("data_complete_until", "DATE", "date", "Last date with complete contacts, labs etc."),
            Column("cancer_register_complete_until", "DATE", "date", "Last date the cancer register is complete."),
            Column("derived_fields", "VARCHAR", "text", "Which of the dates were derived from the data."),
            Column("ingested_at", "TIMESTAMP", "text", "When the extract was ingested.", required=True),
        ),
        internal=True,
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
EXTRACT_TABLES: tuple[Table, ...] = tuple(t for t in TABLES if not t.internal)
REQUIRED_TABLES: tuple[str, ...] = tuple(t.name for t in EXTRACT_TABLES if t.required)


def table(name: str) -> Table:
    try:
        return TABLES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; known: {', '.join(TABLES_BY_NAME)}") from None


def ddl(t: Table) -> str:
    """CREATE TABLE statement for a canonical table."""
    cols = []
    for c in t.columns:
        not_null = " NOT NULL" if c.required else ""
        cols.append(f"    {c.name} {c.dtype}{not_null}")
    if t.key:
        cols.append(f"    PRIMARY KEY ({', '.join(t.key)})")
    return f"CREATE TABLE IF NOT EXISTS {t.name} (\n" + ",\n".join(cols) + "\n)"


def create_all(con) -> None:
    """Create every canonical and internal table that does not exist yet."""
    for t in TABLES:
        con.execute(ddl(t))
    # databases made before SPEC v1.1 declared patients.sex NOT NULL (unknown sex is now kept)
    if con.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'patients' "
                   "AND constraint_type = 'NOT NULL' AND constraint_column_names = ['sex']").fetchall()[0][0]:
        con.execute("ALTER TABLE patients ALTER COLUMN sex DROP NOT NULL")
