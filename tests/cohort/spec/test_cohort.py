"""Spec tests: exclusions, review list, route and episodes (SPEC §4). Month 2025-06:
T = 2025-06-30, R = 2025-04 .. 2025-06, known-cancer months 2024-07 .. 2025-06."""
import pytest

from tests.cohort.timeline import Case, build, check, run

# Two new code criteria in R put a patient on the review list.
TWO_CODES = "\n".join(f"{p} | 2025-06-10 | R53\n{p} | 2025-06-10 | R52" for p in
                      ("a17", "a18", "bd18", "bd17", "deadT", "deadT1", "notyet", "leftT",
                       "leftT1", "c11", "c12", "c44", "refR", "refB", "refAfter", "ok"))

CASES = [
    Case("exclusions: age 17/18 at T (birth year or exact date), death on T, listing, cancer, referral",
         {"patients": """
            patient_id | birth_year | birth_date | sex | listed_from | listed_to  | death_date
            a17        | 2008       |            | F   |             |            |
            a18        | 2007       |            | F   |             |            |
            bd18       | 2007       | 2007-06-30 | M   |             |            |
            bd17       | 2007       | 2007-07-01 | M   |             |            |
            deadT      | 1950       |            | M   |             |            | 2025-06-30
            deadT1     | 1950       |            | M   |             |            | 2025-07-01
            notyet     | 1950       |            | F   | 2025-07-01  |            |
            leftT      | 1950       |            | F   | 2020-01-01  | 2025-06-30 |
            leftT1     | 1950       |            | F   | 2020-01-01  | 2025-06-29 |
            c11        | 1950       |            | F   |             |            |
            c12        | 1950       |            | F   |             |            |
            c44        | 1950       |            | F   |             |            |
            refR       | 1950       |            | F   |             |            |
            refB       | 1950       |            | F   |             |            |
            refAfter   | 1950       |            | F   |             |            |
            ok         | 1950       |            | F   |             |            |
         """,
          "diagnoses": "patient_id | diagnosis_date | icd10\n" + TWO_CODES,
          "cancer_diagnoses": """
            patient_id | diagnosis_date | icd10
            c11        | 2024-07-01     | C187
            c12        | 2024-06-30     | C187
            c44        | 2025-05-01     | C449
         """,
          "referrals": """
            patient_id | event_date | pathway | event
            refR       | 2025-04-01 | AOS     | start
            refB       | 2025-03-31 | AOS     | start
            refAfter   | 2025-07-01 | AOS     | start
         """},
         excluded={"a17": 1, "a18": 0, "bd18": 0, "bd17": 1, "deadT": 2, "deadT1": 0,
                   "notyet": 3, "leftT": 0, "leftT1": 3, "c11": 4, "c12": 0, "c44": 0,
                   "refR": 5, "refB": 0, "refAfter": 0, "ok": 0},
         review={"a17": None, "c11": None, "refR": None,
                 "c12": {"prior_cancer": True, "criteria": "malaise_fatigue;pain",
                         "n_criteria": 2, "route": "aos"},
                 "ok": {"prior_cancer": False, "new_episode": True}}),
    Case("exclusions: counted at the first that applies (a dead child is a child)",
         {"patients": """
            patient_id | birth_year | sex | death_date | listed_to
            p1         | 2010       | F   | 2025-01-01 | 2024-01-01
            p2         | 1960       | F   | 2025-01-01 | 2024-01-01
         """},
         excluded={"p1": 1, "p2": 2}),
    Case("route: hb_low with ferritin 29 in R -> iron_deficiency; ferritin 30 -> aos",
         {"lab_results": """
            patient_id | sample_date | analyte  | value
            f29        | 2025-05-10  | hb       | 100
            f29        | 2025-05-10  | alp      | 2.5
            f29        | 2025-05-10  | ferritin | 29
            f30        | 2025-05-10  | hb       | 100
            f30        | 2025-05-10  | alp      | 2.5
            f30        | 2025-05-10  | ferritin | 30
            one        | 2025-05-10  | hb       | 100
         """},
         expected={"f29": {"hb_low", "alp_high"}, "one": {"hb_low"}},
         review={"f29": {"route": "iron_deficiency", "n_criteria": 2},
                 "f30": {"route": "aos"}, "one": None}),
    Case("episodes: on the list in M-6 -> not new in M; last on the list in M-7 -> new",
         {"diagnoses": """
            patient_id | diagnosis_date | icd10
            m6         | 2024-10-10     | R53
            m6         | 2024-10-10     | R50
            m6         | 2025-06-10     | R52
            m6         | 2025-06-10     | R630
            m7         | 2024-09-10     | R53
            m7         | 2024-09-10     | R50
            m7         | 2025-06-10     | R52
            m7         | 2025-06-10     | R630
         """},
         review={"m6": {"new_episode": False, "criteria": "appetite_loss;pain"},
                 "m7": {"new_episode": True}}),
    Case("evidence reads as a clinician writes",
         {"lab_results": """
            patient_id | sample_date | analyte | value
            p1         | 2025-05-12  | alp     | 2.4
            p1         | 2025-05-10  | hb      | 112
         """},
         review={"p1": {"evidence": "ALP 2.4 µkat/L 2025-05-12 (> 1.9); Hb 112 g/L 2025-05-10 (< 120)"}}),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_cohort_rules(case):
    check(case)


def test_absent_optional_tables_make_criteria_not_evaluable():
    case = Case("not evaluable: no prescriptions table; weight_loss from diagnoses alone", {"diagnoses": """
            patient_id | diagnosis_date | icd10
            p1         | 2025-05-10     | R634
         """})
    info = check(case)
    assert "drug_rise" in info["not_evaluable"]
    assert "weight_loss" not in info["not_evaluable"]
    assert "observations" in info["partially_evaluable"]["weight_loss"]
    assert any("cancer_diagnoses" in x for x in info["exclusions_not_applied"])


def test_empty_table_without_ingest_row_is_absent_and_recorded():
    con = build(Case("not evaluable: only the required tables were ingested", {"lab_results": """
            patient_id | sample_date | analyte | value
            p1         | 2025-05-12  | alp     | 2.4
         """}))
    info = run(con, "2025-06")
    assert set(info["not_evaluable"]) == {"drug_rise", "weight_loss", "malaise_fatigue",
                                          "appetite_loss", "fever", "pain"}
    row = con.execute("SELECT not_evaluable FROM cohort_runs").fetchall()[0][0]
    assert row.split(",") == info["not_evaluable"]
