"""Spec tests: contact_spike and drug_rise (SPEC §3). Month 2025-06:
R = 2025-04-01 .. 2025-06-30, B = 2024-04-01 .. 2025-03-31."""
import pytest

from tests.cohort.timeline import Case, check


def contacts(pid: str, dates: list[str]) -> str:
    return "\n".join(f"{pid} | {d}" for d in dates)


R4 = ["2025-04-01", "2025-05-02", "2025-06-03", "2025-06-30"]
R3 = R4[:3]
B = ["2024-04-01", "2024-05-01", "2024-06-01", "2024-07-01", "2024-08-01", "2024-09-01",
     "2024-10-01", "2024-11-01", "2024-12-01", "2025-01-01", "2025-02-01", "2025-03-31"]

CASES = [
    Case("contact_spike: 4 distinct days in R (first and last day of R) with none in B is met; 3 is not",
         {"contacts": "patient_id | contact_date\n" + contacts("p4", R4) + "\n" + contacts("p3", R3)},
         expected={"p4": {"contact_spike"}, "p3": set()}),
    Case("contact_spike: several contacts on one day count as one day",
         {"contacts": "patient_id | contact_date\n" + contacts("p1", R3 + ["2025-06-03", "2025-06-03"])},
         expected={"p1": set()}),
    Case("contact_spike: 8 days in B -> needs >= 2 x 8 x 3/12 = 4; 12 days in B -> needs 6",
         {"contacts": "patient_id | contact_date\n"
          + contacts("b8", B[:8] + R4) + "\n"
          + contacts("b12r5", B + R4 + ["2025-05-20"]) + "\n"
          + contacts("b12r6", B + R4 + ["2025-05-20", "2025-05-21"])},
         expected={"b8": {"contact_spike"}, "b12r5": set(), "b12r6": {"contact_spike"}}),
    Case("contact_spike: contacts after T do not count",
         {"contacts": "patient_id | contact_date\n" + contacts("p1", R3 + ["2025-07-01"])},
         expected={"p1": set()}),
    Case("drug_rise: 3 new substances in R is met; 2 is not; a substance also in B is not new",
         {"prescriptions": """
            patient_id | prescribed_date | atc_code
            p3         | 2025-04-01      | A02BC01
            p3         | 2025-05-01      | J01CA04
            p3         | 2025-06-30      | N02AX02
            p2         | 2025-04-01      | A02BC01
            p2         | 2025-05-01      | J01CA04
            old        | 2025-03-31      | A02BC01
            old        | 2025-04-01      | A02BC01
            old        | 2025-05-01      | J01CA04
            old        | 2025-06-01      | N02AX02
            older      | 2024-03-31      | A02BC01
            older      | 2025-04-01      | A02BC01
            older      | 2025-05-01      | J01CA04
            older      | 2025-06-01      | N02AX02
         """},
         expected={"p3": {"drug_rise"}, "p2": set(), "old": set(), "older": {"drug_rise"}}),
    Case("drug_rise: 4 prescription rows in R with none in B is met; an exact duplicate row counts once",
         {"prescriptions": """
            patient_id | prescribed_date | atc_code | ddd
            rows4      | 2025-04-10      | C09AA05  | 30
            rows4      | 2025-04-10      | C09AA05  | 60
            rows4      | 2025-05-10      | C09AA05  | 30
            rows4      | 2025-06-10      | C09AA05  | 30
            dup        | 2025-04-10      | C09AA05  | 30
            dup        | 2025-04-10      | C09AA05  | 30
            dup        | 2025-05-10      | C09AA05  | 30
            dup        | 2025-06-10      | C09AA05  | 30
         """},
         expected={"rows4": {"drug_rise"}, "dup": set()}),
    Case("drug_rise: 8 rows in B -> needs 4; 12 rows in B -> needs 6",
         {"prescriptions": "patient_id | prescribed_date | atc_code\n"
          + "\n".join(f"b8 | {d} | C09AA05" for d in B[:8] + R4) + "\n"
          + "\n".join(f"b12 | {d} | C09AA05" for d in B + R4 + ["2025-05-20"])},
         expected={"b8": {"drug_rise"}, "b12": set()}),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_activity_criteria(case):
    check(case)
