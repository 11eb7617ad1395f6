"""Spec tests: weight_loss and the code criteria (SPEC §3). Month 2025-06:
R = 2025-04-01 .. 2025-06-30, B = 2024-04-01 .. 2025-03-31. Codes are stored without the dot."""
import pytest

from tests.cohort.timeline import Case, check

CASES = [
    Case("weight_loss: 5 % below the highest weight 183 days before is met; 184 days is out of reach",
         {"observations": """
            patient_id | obs_date   | kind   | value
            d183       | 2024-11-29 | weight | 100
            d183       | 2025-05-31 | weight | 95
            d184       | 2024-11-28 | weight | 100
            d184       | 2025-05-31 | weight | 95
         """},
         expected={"d183": {"weight_loss"}, "d184": set()}),
    Case("weight_loss: 4.9 % is not met; several weights on one day count as their mean",
         {"observations": """
            patient_id | obs_date   | kind   | value
            p49        | 2025-01-10 | weight | 100
            p49        | 2025-05-10 | weight | 95.1
            mean       | 2025-01-10 | weight | 100
            mean       | 2025-05-10 | weight | 94
            mean       | 2025-05-10 | weight | 96
         """},
         expected={"p49": set(), "mean": {"weight_loss"}}),
    Case("weight_loss: the latest weight in R decides (regained weight is not met)",
         {"observations": """
            patient_id | obs_date   | kind   | value
            p1         | 2025-01-10 | weight | 100
            p1         | 2025-04-10 | weight | 90
            p1         | 2025-06-10 | weight | 99
         """},
         expected={"p1": set()}),
    Case("weight_loss: a weight after T is ignored",
         {"observations": """
            patient_id | obs_date   | kind   | value
            p1         | 2025-04-10 | weight | 100
            p1         | 2025-07-01 | weight | 80
         """},
         expected={"p1": set()}),
    Case("weight_loss: new R63.4 (stored R634) or R64 code; the group in B makes it not new",
         {"diagnoses": """
            patient_id | diagnosis_date | icd10
            r634       | 2025-05-10     | R634
            r64        | 2025-05-10     | R64
            chronic    | 2024-10-10     | R64
            chronic    | 2025-05-10     | R634
            r63        | 2025-05-10     | R63
         """},
         expected={"r634": {"weight_loss"}, "r64": {"weight_loss"}, "chronic": set(),
                   "r63": set()}),
    Case("codes: R53 and R539 are malaise_fatigue; R630 appetite_loss (R631 not); R50x fever; R52 pain",
         {"diagnoses": """
            patient_id | diagnosis_date | icd10
            r53        | 2025-04-01     | R53
            r539       | 2025-06-30     | R539
            r630       | 2025-05-10     | R630
            r631       | 2025-05-10     | R631
            r509       | 2025-05-10     | R509
            r52        | 2025-05-10     | R52
            r5         | 2025-05-10     | R5
         """},
         expected={"r53": {"malaise_fatigue"}, "r539": {"malaise_fatigue"},
                   "r630": {"appetite_loss"}, "r631": set(), "r509": {"fever"},
                   "r52": {"pain"}, "r5": set()}),
    Case("codes: a code of the group on the first day of B is not new; on the day before B it is",
         {"diagnoses": """
            patient_id | diagnosis_date | icd10
            inb        | 2024-04-01     | R531
            inb        | 2025-05-10     | R539
            beforeb    | 2024-03-31     | R531
            beforeb    | 2025-05-10     | R539
            lastb      | 2025-03-31     | R52
            lastb      | 2025-04-01     | R52
            after      | 2025-07-01     | R50
         """},
         expected={"inb": set(), "beforeb": {"malaise_fatigue"}, "lastb": set(), "after": set()}),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_weight_and_code_criteria(case):
    check(case)
