"""Spec tests: a patient with an unknown sex (SPEC §1 v1.1). Month 2025-06: T = 2025-06-30,
R = 2025-04 .. 2025-06, B = 2024-04 .. 2025-03. Unknown sex is NULL in `patients` (ingest maps an
empty or other coding to NULL): esr_high and the sex-specific Hb limit are not met, the 15 g/L
drop branch of hb_low still is, and the patient stays in the cohort for every other criterion."""
import pytest

from tests.cohort.timeline import Case, check

CASES = [
    Case("unknown sex: ESR far above both sex limits is not met; the same value is for F and M",
         {"patients": """
            patient_id | birth_year | sex
            unknown    | 1965       |
            f          | 1965       | F
            m          | 1965       | M
         """,
          "lab_results": """
            patient_id | sample_date | analyte | value
            unknown    | 2025-05-12  | esr     | 120
            f          | 2025-05-12  | esr     | 120
            m          | 2025-05-12  | esr     | 120
         """},
         expected={"unknown": set(), "f": {"esr_high"}, "m": {"esr_high"}},
         excluded={"unknown": 0}),
    Case("unknown sex: Hb below both sex limits without a drop is not met (F and M are)",
         {"patients": """
            patient_id | birth_year | sex
            unknown    | 1960       |
            f          | 1960       | F
            m          | 1960       | M
         """,
          "lab_results": """
            patient_id | sample_date | analyte | value
            unknown    | 2025-05-12  | hb      | 90
            f          | 2025-05-12  | hb      | 90
            m          | 2025-05-12  | hb      | 90
         """},
         expected={"unknown": set(), "f": {"hb_low"}, "m": {"hb_low"}}),
    Case("unknown sex: the 15 g/L drop from the B mean is met, 14 is not",
         {"patients": """
            patient_id | birth_year | sex
            drop15     | 1960       |
            drop14     | 1960       |
         """,
          "lab_results": """
            patient_id | sample_date | analyte | value
            drop15     | 2024-09-01  | hb      | 150
            drop15     | 2025-05-12  | hb      | 135
            drop14     | 2024-09-01  | hb      | 150
            drop14     | 2025-05-12  | hb      | 136
         """},
         expected={"drop15": {"hb_low"}, "drop14": set()}),
    Case("unknown sex: other criteria count, and two of them put the patient on the review list",
         {"patients": """
            patient_id | birth_year | sex
            unknown    | 1960       |
         """,
          "lab_results": """
            patient_id | sample_date | analyte | value
            unknown    | 2024-09-01  | hb      | 150
            unknown    | 2025-05-12  | hb      | 120
            unknown    | 2025-05-12  | esr     | 120
            unknown    | 2025-05-12  | alp     | 2.5
         """},
         expected={"unknown": {"hb_low", "alp_high"}},
         review={"unknown": {"n_criteria": 2, "route": "aos"}}),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_unknown_sex(case):
    check(case)
