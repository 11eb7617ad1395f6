"""A small hand-written OMOP CDM source covering each mapping row of SPEC §8.

Row comments say what each row tests; the tests look rows up by their position (1-based
`_row`, as in the quarantine table).
"""
from __future__ import annotations

PERSON = (("person_id", "gender_concept_id", "year_of_birth", "care_site_id", "gender_source_value",
           "person_source_value"), [
    ("1", "8532", "1950", "10", "", "a1"),        # F by concept
    ("2", "8507", "1960", "", "", "a2"),          # M by concept; no care site -> unknown
    ("3", "0", "1970", "10", "female", "a3"),     # sex from gender_source_value
])
OBSERVATION_PERIOD = (("person_id", "observation_period_start_date", "observation_period_end_date"), [
    ("1", "2015-01-01", "2020-12-31"),
    ("1", "2021-01-01", "2024-12-31"),   # listed_to = the latest end
    ("99", "2015-01-01", "2024-12-31"),  # not used: person_id not in person
    ("3", "not a date", "2024-01-01"),   # not used: invalid date
])
DEATH = (("person_id", "death_date"), [
    ("2", "2024-03-15 00:00:00"),        # datetime string
    ("98", "2024-01-01"),                # not used: person_id not in person
])
VISIT = (("person_id", "visit_start_date", "visit_concept_id", "care_site_id"), [
    ("1", "2024-03-01", "9202", "10"),            # visit
    ("1", "20240305", "5083", "10"),              # YYYYMMDD; telehealth -> digital
    ("2", "2024-03-07 10:15:00", "999999", ""),   # unknown visit concept -> no contact_type
    ("99", "2024-03-08", "9202", ""),             # quarantined: patient not in patients
])
CONDITION = (("person_id", "condition_start_date", "condition_source_value", "condition_source_concept_id"), [
    ("1", "2024-02-01", "R53.8", "0"),            # ICD-10 source value (concept 0 = none)
    ("1", "2024-02-02", "271807003", "4000001"),  # not used: SNOMED source concept
    ("1", "2024-02-03", "xyz", "5000001"),        # ICD-10 from the source concept (R50.9)
    ("2", "2024-02-04", "1629", "5000002"),       # not used: ICD9CM source concept
    ("2", "2024-01-10", "C34.1", ""),             # diagnosis and cancer
    ("2", "2024-01-11", "D50.9", ""),             # diagnosis, not cancer
    ("3", "2024-01-12", "4019  ", ""),            # not used: not ICD-10 shaped, no vocabulary
    ("3", "2024-01-13", "C97", ""),               # cancer (upper end of C00-C97)
    ("3", "2024-01-14", "D03.9", ""),             # diagnosis, not cancer
])
DRUG = (("person_id", "drug_exposure_start_date", "drug_concept_id", "drug_source_value"), [
    ("1", "2024-03-01", "0", "N02BE01"),          # ATC source value
    ("1", "2024-03-02", "1100001", "313782"),     # RxNorm -> most specific ATC ancestor N02BE01
    ("2", "2024-03-03", "1100002", "abc"),        # not used: no ATC ancestor
])
MEASUREMENT = (("person_id", "measurement_date", "measurement_concept_id", "measurement_source_value",
                "measurement_source_concept_id", "value_as_number", "operator_concept_id",
                "unit_source_value", "unit_concept_id", "range_low", "range_high", "value_source_value"), [
    ("1", "2024-03-01", "0", "718-7", "0", "12.5", "", "g/dL", "", "12", "16", ""),     # 1 hb 125 g/L
    ("1", "2024-03-01", "0", "6768-6", "0", "114", "4172703", "U/L", "", "", "", ""),   # 2 alp 1.9, '='
    ("1", "2024-03-01", "0", "17861-6", "0", "10.4", "", "mg/dL", "", "", "", ""),      # 3 calcium
    ("1", "2024-03-01", "0", "777-3", "0", "450", "", "10*3/uL", "", "", "", ""),       # 4 platelets
    ("1", "2024-03-01", "0", "2160-0", "0", "1.0", "", "mg/dL", "", "", "", ""),        # 5 creatinine
    ("1", "2024-03-01", "0", "1988-5", "0", "5", "4171756", "mg/L", "", "", "", ""),    # 6 crp <5
    ("1", "2024-03-02", "0", "1988-5", "0", "100", "4172704", "mg/L", "", "", "", ""),  # 7 crp >100
    ("2", "2024-03-01", "3000001", "HGB", "0", "13", "", "", "8713", "", "", ""),       # 8 concept path
    ("2", "2024-03-02", "0", "718-7", "0", "13", "999", "g/dL", "", "", "", ""),        # 9 bad operator
    ("2", "2024-03-03", "0", "718-7", "0", "13", "", "mg", "", "", "", ""),             # 10 bad unit
    ("2", "2024-03-01", "0", "8480-6", "0", "120", "", "mm[Hg]", "", "", "", ""),       # 11 not in map
    ("2", "2024-03-01", "0", "271649006", "0", "1", "", "", "", "", "", ""),            # 12 not LOINC
    ("1", "2024-03-01", "0", "29463-7", "0", "176.5", "", "[lb_av]", "", "", "", ""),   # 13 weight lb
    ("3", "20240301", "0", "2276-4", "0", "25", "", "ng/mL", "", "", "", ""),           # 14 ferritin
    ("1", "2024-03-01", "0", "4537-7", "0", "30", "", "mm/h", "", "", "", ""),          # 15 esr
    ("1", "2024-03-01", "0", "6690-2", "0", "7.1", "", "10*9/L", "", "", "", ""),       # 16 wbc
    ("1", "2024-03-01", "0", "2345-7", "0", "", "", "", "", "", "", "normal"),          # 17 presence only
    ("1", "2024-03-03", "0", "1751-7", "0", "4.1", "4171754", "g/dL", "", "", "", ""),  # 18 albumin <=
])
OBSERVATION = (("person_id", "observation_date", "observation_concept_id", "observation_source_value",
                "observation_source_concept_id", "value_as_number", "unit_source_value"), [
    ("3", "2024-03-02", "0", "3141-9", "0", "70000", "g"),       # weight 70 kg
    ("3", "2024-03-02", "0", "R63.4", "0", "", ""),              # ICD-10 diagnosis
    ("3", "2024-03-02", "0", "72166-2", "0", "", ""),            # not used: LOINC not in map
    ("3", "2024-03-02", "0", "Never smoker", "0", "", ""),       # not used: neither
])
PROCEDURE = (("person_id", "procedure_date", "procedure_source_value", "modifier_source_value"), [
    ("1", "2024-03-10", "VP810", "AOS"),      # AOS start
    ("1", "2024-03-20", "vp872", ""),         # closing code, pathway unknown
    ("2", "2024-03-10", "99213", ""),         # not used: not a KVÅ pathway code
])
CARE_SITE = (("care_site_id", "care_site_name"), [("10", "VC Tio")])
CONCEPT = (("concept_id", "concept_name", "domain_id", "vocabulary_id", "concept_class_id",
            "standard_concept", "concept_code"), [
    ("4000001", "x", "Condition", "SNOMED", "Clinical Finding", "S", "271807003"),
    ("5000001", "x", "Condition", "ICD10", "ICD10 code", "", "R50.9"),
    ("5000002", "x", "Condition", "ICD9CM", "4-dig nonbill code", "", "162.9"),
    ("1100001", "x", "Drug", "RxNorm", "Clinical Drug", "S", "313782"),
    ("1100002", "x", "Drug", "RxNorm", "Clinical Drug", "S", "999999"),
    ("2000001", "x", "Drug", "ATC", "ATC 5th", "C", "N02BE01"),
    ("2000002", "x", "Drug", "ATC", "ATC 4th", "C", "N02BE"),
    ("2000003", "x", "Drug", "ATC", "ATC 3rd", "C", "N02B"),
    ("3000001", "x", "Measurement", "LOINC", "Lab Test", "S", "718-7"),
    ("8713", "x", "Unit", "UCUM", "Unit", "S", "g/dL"),
])
CONCEPT_ANCESTOR = (("ancestor_concept_id", "descendant_concept_id", "min_levels_of_separation",
                     "max_levels_of_separation"), [
    ("2000003", "1100001", "2", "2"),
    ("2000002", "1100001", "1", "1"),
    ("2000001", "1100001", "1", "1"),
])

TABLES = {"person": PERSON, "observation_period": OBSERVATION_PERIOD, "death": DEATH,
          "visit_occurrence": VISIT, "condition_occurrence": CONDITION, "drug_exposure": DRUG,
          "measurement": MEASUREMENT, "observation": OBSERVATION, "procedure_occurrence": PROCEDURE,
          "care_site": CARE_SITE, "concept": CONCEPT, "concept_ancestor": CONCEPT_ANCESTOR}
