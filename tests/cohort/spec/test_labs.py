"""Spec tests: lab criteria (SPEC §3). Month 2025-06: T = 2025-06-30,
R = 2025-04-01 .. 2025-06-30, B = 2024-04-01 .. 2025-03-31."""
import pytest

from tests.cohort.timeline import Case, check

CASES = [
    Case("ALP: above 1.9 is met; exactly 1.9 (114 U/L stored as 1.9) is not",
         {"lab_results": """
            patient_id | sample_date | analyte | value
            p1         | 2025-05-12  | alp     | 1.900001
            p2         | 2025-05-12  | alp     | 1.9
         """},
         expected={"p1": {"alp_high"}, "p2": set()}),
    Case("ALP: chronic (above 1.9 in B too) is not new; B at 1.9 is not above",
         {"lab_results": """
            patient_id | sample_date | analyte | value
            p1         | 2024-10-01  | alp     | 2.2
            p1         | 2025-05-12  | alp     | 2.4
            p2         | 2024-10-01  | alp     | 1.9
            p2         | 2025-05-12  | alp     | 2.4
         """},
         expected={"p1": set(), "p2": {"alp_high"}}),
    Case("ALP: first and last day of R count; first day of B blocks; the day before B does not",
         {"lab_results": """
            patient_id | sample_date | analyte | value
            p1         | 2025-04-01  | alp     | 2.4
            p2         | 2025-06-30  | alp     | 2.4
            p3         | 2025-03-31  | alp     | 2.4
            p4         | 2024-04-01  | alp     | 2.4
            p4         | 2025-05-01  | alp     | 2.4
            p5         | 2024-03-31  | alp     | 2.4
            p5         | 2025-05-01  | alp     | 2.4
         """},
         expected={"p1": {"alp_high"}, "p2": {"alp_high"}, "p3": set(), "p4": set(),
                   "p5": {"alp_high"}}),
    Case("ALP: a value after T is ignored (no look-ahead)",
         {"lab_results": """
            patient_id | sample_date | analyte | value
            p1         | 2025-07-01  | alp     | 3.0
         """},
         expected={"p1": set()}),
    Case("Platelets: 401 is met, 400 is not",
         {"lab_results": """
            patient_id | sample_date | analyte   | value
            p1         | 2025-05-12  | platelets | 401
            p2         | 2025-05-12  | platelets | 400
            p3         | 2024-06-01  | platelets | 450
            p3         | 2025-05-12  | platelets | 450
         """},
         expected={"p1": {"platelets_high"}, "p2": set(), "p3": set()}),
    Case("ESR: age rule at T, men age/2, women (age+10)/2",
         {"patients": """
            patient_id | birth_year | sex
            m31        | 1965       | M
            m30        | 1965       | M
            f36        | 1965       | F
            f35        | 1965       | F
            fchronic   | 1965       | F
         """,
          "lab_results": """
            patient_id | sample_date | analyte | value
            m31        | 2025-05-12  | esr     | 31
            m30        | 2025-05-12  | esr     | 30
            f36        | 2025-05-12  | esr     | 36
            f35        | 2025-05-12  | esr     | 35
            fchronic   | 2024-12-01  | esr     | 40
            fchronic   | 2025-05-12  | esr     | 40
         """},
         expected={"m31": {"esr_high"}, "m30": set(), "f36": {"esr_high"}, "f35": set(),
                   "fchronic": set()}),
    Case("Hb: below 120 (F) / 130 (M) is met, at the limit is not",
         {"patients": """
            patient_id | birth_year | sex
            f119       | 1960       | F
            f120       | 1960       | F
            m129       | 1960       | M
            m130       | 1960       | M
         """,
          "lab_results": """
            patient_id | sample_date | analyte | value
            f119       | 2025-05-12  | hb      | 119
            f120       | 2025-05-12  | hb      | 120
            m129       | 2025-05-12  | hb      | 129
            m130       | 2025-05-12  | hb      | 130
         """},
         expected={"f119": {"hb_low"}, "f120": set(), "m129": {"hb_low"}, "m130": set()}),
    Case("Hb: chronic anaemia is not new; a drop of 15 from the B mean is, 14 is not",
         {"patients": """
            patient_id | birth_year | sex
            chronic    | 1960       | F
            drop15     | 1960       | M
            drop14     | 1960       | M
            lowdrop    | 1960       | F
         """,
          "lab_results": """
            patient_id | sample_date | analyte | value
            chronic    | 2024-09-01  | hb      | 115
            chronic    | 2025-05-12  | hb      | 115
            drop15     | 2024-09-01  | hb      | 145
            drop15     | 2024-12-01  | hb      | 155
            drop15     | 2025-05-12  | hb      | 135
            drop14     | 2024-09-01  | hb      | 150
            drop14     | 2025-05-12  | hb      | 136
            lowdrop    | 2024-09-01  | hb      | 118
            lowdrop    | 2025-05-12  | hb      | 100
         """},
         expected={"chronic": set(), "drop15": {"hb_low"}, "drop14": set(),
                   "lowdrop": {"hb_low"}}),
    Case("Hb: exact duplicate rows count once in the B mean",
         {"patients": """
            patient_id | birth_year | sex
            p1         | 1960       | M
         """,
          "lab_results": """
            patient_id | sample_date | analyte | value
            p1         | 2024-09-01  | hb      | 160
            p1         | 2024-10-01  | hb      | 140
            p1         | 2024-10-01  | hb      | 140
            p1         | 2025-05-12  | hb      | 135
         """},
         # mean of distinct rows (160, 140) = 150 -> drop 15 -> met; with the duplicate 146.7
         expected={"p1": {"hb_low"}}),
    Case("Calcium: uncorrected 2.61 is met, 2.60 is not; ionized 1.36 is met, 1.35 is not",
         {"lab_results": """
            patient_id | sample_date | analyte         | value
            p1         | 2025-05-12  | calcium         | 2.61
            p2         | 2025-05-12  | calcium         | 2.60
            p3         | 2025-05-12  | calcium_ionized | 1.36
            p4         | 2025-05-12  | calcium_ionized | 1.35
         """},
         expected={"p1": {"calcium_high"}, "p2": set(), "p3": {"calcium_high"}, "p4": set()}),
    Case("Calcium: albumin 7 days away corrects, 8 days away does not",
         {"lab_results": """
            patient_id | sample_date | analyte | value
            p7         | 2025-05-12  | calcium | 2.50
            p7         | 2025-05-19  | albumin | 34
            p8         | 2025-05-12  | calcium | 2.50
            p8         | 2025-05-20  | albumin | 34
            m7         | 2025-05-12  | calcium | 2.50
            m7         | 2025-05-05  | albumin | 34
         """},
         # 2.50 + 0.02 * (40 - 34) = 2.62
         expected={"p7": {"calcium_high"}, "p8": set(), "m7": {"calcium_high"}}),
    Case("Calcium: the earlier albumin wins a tie; a day's albumins are averaged",
         {"lab_results": """
            patient_id | sample_date | analyte | value
            tie        | 2025-05-12  | calcium | 2.55
            tie        | 2025-05-09  | albumin | 40
            tie        | 2025-05-15  | albumin | 30
            mean       | 2025-05-12  | calcium | 2.47
            mean       | 2025-05-13  | albumin | 30
            mean       | 2025-05-13  | albumin | 36
            high       | 2025-05-12  | calcium | 2.65
            high       | 2025-05-12  | albumin | 45
         """},
         # tie: albumin 40 -> 2.55; mean: albumin 33 -> 2.61; high: 2.65 - 0.1 = 2.55
         expected={"tie": set(), "mean": {"calcium_high"}, "high": set()}),
    Case("Calcium: corrected value is rounded to 6 decimals (2.56 + 0.02 x 2 = 2.6, not above)",
         {"lab_results": """
            patient_id | sample_date | analyte | value
            p1         | 2025-05-12  | calcium | 2.56
            p1         | 2025-05-12  | albumin | 38
         """},
         expected={"p1": set()}),
    Case("Calcium: albumin after T is not used in month M (but is in M+1)",
         {"lab_results": """
            patient_id | sample_date | analyte | value
            p1         | 2025-06-28  | calcium | 2.55
            p1         | 2025-07-03  | albumin | 30
         """},
         expected={"p1": set()}),
    Case("Calcium: ... and the same sample is corrected in the next month",
         {"lab_results": """
            patient_id | sample_date | analyte | value
            p1         | 2025-06-28  | calcium | 2.55
            p1         | 2025-07-03  | albumin | 30
         """}, month="2025-07",
         expected={"p1": {"calcium_high"}}),
    Case("Calcium: ionized above 1.35 in B makes a raised corrected calcium in R not new",
         {"lab_results": """
            patient_id | sample_date | analyte         | value
            p1         | 2024-11-01  | calcium_ionized | 1.40
            p1         | 2025-05-12  | calcium         | 2.70
         """},
         expected={"p1": set()}),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_lab_criteria(case):
    check(case)


def test_albumin_after_T_is_not_used_even_in_a_backfill():
    """A backfill of June..July reads July's albumin; June must still ignore it."""
    from tests.cohort.timeline import build, criteria_by_patient, run
    con = build(Case("Calcium: a backfill June..July reads July's albumin; June still ignores it", {"lab_results": """
            patient_id | sample_date | analyte | value
            p1         | 2025-06-28  | calcium | 2.55
            p1         | 2025-07-03  | albumin | 30
         """}))
    run(con, "2025-06", "2025-07")
    assert criteria_by_patient(con, "2025-06").get("p1", set()) == set()
    assert criteria_by_patient(con, "2025-07")["p1"] == {"calcium_high"}
