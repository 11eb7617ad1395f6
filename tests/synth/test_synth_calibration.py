"""Calibration of the synthetic region against its documented targets (docs/synthetic-data.md).

One generated region (100,000 patients x 2022-01..2025-12, seed 7). Tolerances allow for the
sampling noise of that size (about 2,000 new cancers, about 200 AOS referrals)."""
import re

import pytest

from pipeline.synth import params

from .helpers import one, open_extract

# the mandatory panel (SPEC §6.4), alternatives as tuples
PANEL = ["hb", "wbc", "platelets", "esr", "crp", "glucose", "sodium", "potassium",
         ("creatinine", "egfr"), ("calcium", "calcium_ionized"), "b12", "folate", "ferritin", "ld",
         "albumin", "s_protein_electrophoresis", ("free_light_chains", "u_protein_electrophoresis"),
         "bilirubin", "alat", "alp", "tsh", "urine_dipstick"]


@pytest.fixture(scope="module")
def con(calibration_dir):
    return open_extract(calibration_dir)


def test_age_and_sex_structure(con):
    under18, over65, men = one(con, """SELECT avg((2022 - birth_year < 18)::INT), avg((2022 - birth_year >= 65)::INT),
                                              avg((sex = 'M')::INT) FROM patients""")
    assert 0.18 <= under18 <= 0.23  # Sweden: about 21 % under 18
    assert 0.18 <= over65 <= 0.23  # Sweden: about 20 % aged 65+
    assert 0.48 <= men <= 0.52


def test_care_units_are_3000_to_15000_patients(con):
    sizes = [r[0] for r in con.execute("SELECT count(*) FROM patients GROUP BY care_unit_id").fetchall()]
    assert len(sizes) == one(con, "SELECT count(*) FROM care_units")[0] >= 10
    assert min(sizes) >= 2500 and max(sizes) <= 16000  # 3,000-15,000 plus sampling noise


def test_listing_changes_and_deaths(con):
    moved_in, moved_out, died_old, died_young = one(con, """
        SELECT avg((listed_from >= DATE '2022-01-01')::INT), avg((listed_to IS NOT NULL)::INT),
               avg((death_date IS NOT NULL)::INT) FILTER (WHERE 2022 - birth_year >= 80),
               avg((death_date IS NOT NULL)::INT) FILTER (WHERE 2022 - birth_year BETWEEN 20 AND 40)
        FROM patients""")
    assert 0.05 < moved_in < 0.2 and 0.05 < moved_out < 0.2
    assert died_old > 20 * died_young  # mortality rises steeply with age
    deaths_per_1000_year = one(con, "SELECT count(death_date) / count(*) * 1000 / 4 FROM patients")[0]
    assert 7 <= deaths_per_1000_year <= 13  # Sweden: about 9 per 1,000 per year


def test_cancer_incidence_and_age(con):
    # new cancers in the register from the period start to the register's completeness date, per
    # person-year at risk (alive) over the same span
    rate, share65 = one(con, """
        WITH span AS (SELECT DATE '2022-01-01' AS s, getvariable('cancer_register_complete_until') AS e),
        py AS (SELECT sum(datediff('day', s, least(coalesce(death_date, e), e)) + 1) / 365.25 AS py
               FROM patients, span),
        new AS (SELECT c.*, year(c.diagnosis_date) - p.birth_year AS age
                FROM truth_cancers c JOIN patients p USING (patient_id), span
                WHERE NOT c.prior AND c.diagnosis_date BETWEEN s AND e)
        SELECT count(*) / (SELECT py FROM py) * 1e5, avg((age >= 65)::INT) FROM new""")
    assert 580 <= rate <= 720  # target about 650 new cancer patients per 100,000 per year
    assert 0.64 <= share65 <= 0.76  # target about 70 % aged 65+


def test_site_mix(con):
    shares = dict(con.execute("""SELECT site, count(*) / sum(count(*)) OVER () FROM truth_cancers
                                 WHERE NOT prior GROUP BY site""").fetchall())
    assert 0.11 <= shares["prostate"] <= 0.19  # about 30 % of men's cancers
    assert 0.11 <= shares["breast"] <= 0.19
    assert 0.08 <= shares["colorectal"] <= 0.14
    assert {"lung", "melanoma", "myeloma", "pancreas", "lymphoma"} <= set(shares)
    codes = [r[0] for r in con.execute("SELECT DISTINCT icd10 FROM cancer_diagnoses").fetchall()]
    assert all(re.fullmatch(r"C\d\d(\.?\d)?", c) for c in codes)
    assert any(c.startswith("C90") for c in codes)


def test_aos_referral_rate(con):
    starts, py = one(con, """
        SELECT (SELECT count(*) FROM referrals WHERE pathway = 'AOS' AND event IN ('start', 'VP810')),
               (SELECT sum(datediff('day', greatest(listed_from, DATE '2022-01-01'),
                    least(coalesce(listed_to, DATE '2025-12-31'), coalesce(death_date, DATE '2025-12-31'))) + 1)
                    / 365.25 FROM patients)""")
    per_2000 = starts / py * 2000
    assert 0.85 <= per_2000 <= 1.15  # target: about 1 referral per 2,000 inhabitants per year


def test_confirmed_share_among_aos_referrals(con):
    # what the report will compute: a cancer in the register on or after the start and within 6
    # months, for starts whose window ends before the register is complete
    n, share = one(con, """
        WITH s AS (SELECT patient_id, event_date AS start FROM referrals
                   WHERE pathway = 'AOS' AND event IN ('start', 'VP810')
                     AND event_date + INTERVAL 6 MONTH <= getvariable('cancer_register_complete_until'))
        SELECT count(*), avg((EXISTS (SELECT 1 FROM cancer_diagnoses c WHERE c.patient_id = s.patient_id
                   AND c.diagnosis_date BETWEEN s.start AND s.start + INTERVAL 6 MONTH))::INT) FROM s""")
    assert n >= 100
    target = params.load().cfg["pathway"]["confirmed_share"]
    assert 0.12 <= share <= 0.22 and abs(share - target) < 0.04  # calibration target, by construction


def test_lead_times_mostly_within_22_days(con):
    within, median = one(con, """
        WITH r AS (SELECT patient_id, event_date, CASE WHEN event IN ('start', 'VP810') THEN 'start' ELSE 'end' END AS kind
                   FROM referrals WHERE pathway = 'AOS'),
        pairs AS (SELECT s.patient_id, min(e.event_date) - s.event_date AS days FROM r s JOIN r e
                  ON s.patient_id = e.patient_id AND s.kind = 'start' AND e.kind = 'end' AND e.event_date >= s.event_date
                  GROUP BY s.patient_id, s.event_date)
        SELECT avg((days <= 22)::INT), median(days) FROM pairs""")
    assert 0.65 <= within <= 0.95
    assert median <= 22


def test_both_event_spellings_and_other_pathways(con):
    events = {r[0] for r in con.execute("SELECT DISTINCT event FROM referrals WHERE pathway = 'AOS'").fetchall()}
    assert {"VP810", "start", "VP872", "end_cancer", "VP878", "end_dismissed"} <= events
    assert events <= {"VP810", "VP872", "VP878", "VP870", "VP874", "start", "end_cancer", "end_dismissed",
                      "end_not_met", "end_other"}
    assert one(con, "SELECT count(DISTINCT pathway) FROM referrals WHERE pathway <> 'AOS'")[0] >= 3


def test_cancer_found_via_pathway_is_diagnosed_within_weeks_of_start(con):
    gaps = [r[0] for r in con.execute("""SELECT diagnosis_date - referral_start FROM truth_cancers
                                         WHERE route = 'AOS'""").fetchall()]
    assert len(gaps) >= 20
    assert all(0 <= g <= 42 for g in gaps)


def test_panel_usually_but_not_always_complete(con):
    tests = [t if isinstance(t, tuple) else (t,) for t in PANEL]
    checks = " AND ".join("(" + " OR ".join(f"'{a}' IN analytes" for a in alt) + ")" for alt in tests)
    # psa only for men (SPEC §6.4)
    complete = one(con, f"""
        WITH s AS (SELECT r.patient_id, r.event_date AS start, p.sex FROM referrals r JOIN patients p USING (patient_id)
                   WHERE r.pathway = 'AOS' AND r.event IN ('start', 'VP810')),
        got AS (SELECT s.patient_id, s.start, s.sex, list(DISTINCT l.analyte) AS lst FROM s LEFT JOIN lab_results l
                ON l.patient_id = s.patient_id AND l.sample_date BETWEEN s.start - 30 AND s.start - 1
                GROUP BY ALL)
        SELECT avg(({checks.replace("IN analytes", "= ANY(lst)")}
                    AND (sex = 'F' OR list_contains(lst, 'psa')))::INT) FROM got""")[0]
    assert 0.6 <= complete <= 0.92


def test_only_adults_are_referred_to_aos(con):
    youngest = one(con, """SELECT min(year(r.event_date) - p.birth_year) FROM referrals r JOIN patients p
                           USING (patient_id) WHERE r.pathway = 'AOS'""")[0]
    assert youngest >= 18


def test_no_event_after_death_or_extract_date_or_outside_listing(con):
    for table, col in (("contacts", "contact_date"), ("prescriptions", "prescribed_date"),
                       ("lab_results", "sample_date"), ("diagnoses", "diagnosis_date"),
                       ("observations", "obs_date"), ("referrals", "event_date")):
        bad = one(con, f"""SELECT count(*) FROM {table} t JOIN patients p USING (patient_id)
                           WHERE t.{col} > getvariable('extract_date') OR t.{col} > p.death_date
                              OR t.{col} < p.listed_from OR t.{col} > p.listed_to""")[0]
        assert bad == 0, table
    assert one(con, """SELECT count(*) FROM cancer_diagnoses c JOIN patients p USING (patient_id)
                       WHERE c.diagnosis_date > getvariable('extract_date') OR c.diagnosis_date > p.death_date""")[0] == 0


def test_register_lags_behind_the_extract(con):
    before, after = one(con, """
        SELECT count(*) FILTER (WHERE diagnosis_date BETWEEN getvariable('cancer_register_complete_until') - INTERVAL 6 MONTH
                                                   AND getvariable('cancer_register_complete_until')),
               count(*) FILTER (WHERE diagnosis_date > getvariable('cancer_register_complete_until'))
        FROM cancer_diagnoses""")
    assert after < 0.6 * before  # the 6 months after the completeness date are incomplete
    missing = one(con, """SELECT count(*) FROM truth_cancers WHERE NOT in_register
                          AND diagnosis_date <= getvariable('cancer_register_complete_until')""")[0]
    assert missing == 0


def test_contacts_overdispersed_and_rising_with_age(con):
    var_ratio, heavy, young, old = one(con, """
        WITH n AS (SELECT p.patient_id, 2022 - p.birth_year AS age, count(c.patient_id) / 4.0 AS per_year
                   FROM patients p LEFT JOIN contacts c USING (patient_id)
                   WHERE p.death_date IS NULL AND p.listed_to IS NULL AND p.listed_from < DATE '2022-01-01'
                   GROUP BY ALL)
        SELECT var_samp(per_year) / avg(per_year), avg((per_year >= 20)::INT),
               avg(per_year) FILTER (WHERE age BETWEEN 18 AND 44), avg(per_year) FILTER (WHERE age >= 80)
        FROM n""")
    assert var_ratio > 2  # negative binomial, not Poisson
    assert heavy > 0.002  # some people have 20 contacts a year
    assert old > 2 * young


def test_codes_and_units(con):
    atc = [r[0] for r in con.execute("SELECT DISTINCT atc_code FROM prescriptions").fetchall()]
    assert all(re.fullmatch(r"[A-Z]\d\d[A-Z][A-Z]\d\d", a) for a in atc)
    assert {"C09AA05", "N02BE01", "A02BC01", "J01CE02"} <= set(atc)
    codes = {r[0] for r in con.execute("SELECT DISTINCT icd10 FROM diagnoses").fetchall()}
    assert {"R63.4", "R634", "R50", "R52.9", "R529", "R53.9", "R539", "R63.0", "R630", "R64.9"} <= codes
    labs = params.load().labs
    canonical = dict(zip(labs["analyte"], labs["unit"]))
    for analyte, unit in con.execute("SELECT DISTINCT analyte, unit FROM lab_results").fetchall():
        assert canonical[analyte] == unit


def test_lab_values_realistic(con):
    hb_f, hb_m, ca, alb = one(con, """
        SELECT median(value) FILTER (WHERE analyte = 'hb' AND sex = 'F'), median(value) FILTER (WHERE analyte = 'hb' AND sex = 'M'),
               median(value) FILTER (WHERE analyte = 'calcium'), median(value) FILTER (WHERE analyte = 'albumin')
        FROM lab_results JOIN patients USING (patient_id)""")
    assert 125 <= hb_f <= 140 and 138 <= hb_m <= 152
    assert 2.30 <= ca <= 2.40 and 37 <= alb <= 43
    alp_high = one(con, "SELECT avg((value > 1.9)::INT) FROM lab_results WHERE analyte = 'alp'")[0]
    assert 0.01 <= alp_high <= 0.12


def test_renal_anaemia_is_persistent(con):
    # renal-anaemia patients have low Hb in the first and in the last year alike (not new)
    first, last, others = one(con, """
        WITH r AS (SELECT patient_id FROM truth_conditions WHERE condition = 'renal_anaemia')
        SELECT avg(value) FILTER (WHERE patient_id IN (SELECT * FROM r) AND year(sample_date) = 2022),
               avg(value) FILTER (WHERE patient_id IN (SELECT * FROM r) AND year(sample_date) = 2025),
               avg(value) FILTER (WHERE patient_id NOT IN (SELECT * FROM r))
        FROM lab_results WHERE analyte = 'hb'""")
    assert first < others - 12 and last < others - 12 and abs(first - last) < 6


def test_prodrome_shows_before_diagnosis(con):
    # prodrome patients: contacts double in the 3 months before diagnosis; Hb falls where signalled
    ratio, hb_drop = one(con, """
        WITH c AS (SELECT * FROM truth_cancers WHERE prodrome AND NOT prior
                   AND diagnosis_date BETWEEN DATE '2023-06-01' AND DATE '2025-10-31'),
        k AS (SELECT c.patient_id,
                count(*) FILTER (WHERE k.contact_date BETWEEN c.diagnosis_date - 90 AND c.diagnosis_date - 1) AS recent,
                count(*) FILTER (WHERE k.contact_date BETWEEN c.diagnosis_date - 455 AND c.diagnosis_date - 91) / 4.0 AS base
              FROM c JOIN contacts k USING (patient_id) GROUP BY c.patient_id),
        h AS (SELECT c.patient_id,
                avg(l.value) FILTER (WHERE l.sample_date BETWEEN c.diagnosis_date - 60 AND c.diagnosis_date) AS late,
                avg(l.value) FILTER (WHERE l.sample_date < c.prodrome_start) AS early
              FROM c JOIN lab_results l USING (patient_id)
              WHERE l.analyte = 'hb' AND c.signals LIKE '%hb%' GROUP BY c.patient_id)
        SELECT (SELECT avg(recent) / avg(base) FROM k), (SELECT avg(early - late) FROM h)""")
    assert ratio >= 2
    assert hb_drop >= 10


def test_confounder_episodes_look_new(con):
    # infections: raised CRP at the episode start, fever codes, antibiotics
    crp = one(con, """SELECT median(l.value) FROM truth_episodes e JOIN lab_results l
                      ON l.patient_id = e.patient_id AND l.sample_date = e.start_date AND l.analyte = 'crp'
                      WHERE e.kind = 'infection'""")[0]
    assert crp > 10
    kinds = {r[0] for r in con.execute("SELECT DISTINCT kind FROM truth_episodes").fetchall()}
    assert kinds == {"infection", "depression", "pain"}
