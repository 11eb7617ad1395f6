-- Every patient x target month, with the first exclusion that applies (SPEC §4.1), in order:
--   1 age < min_age at T   2 dead at T   3 not listed at T   4 known cancer (M-11..M)
--   5 a referral event of any pathway in R      0 = passed.
-- Age = year(T) - birth_year, or the exact age at T when birth_date is known.
CREATE OR REPLACE TEMP TABLE c_base AS
WITH known_cancer AS (
    SELECT DISTINCT c.patient_id, t.mi
    FROM c_cancer_months c
    CROSS JOIN range({{cohort.known_cancer_lookback_months}}) o(k)
    JOIN c_months t ON t.mi = c.mi + o.k
),
first_cancer AS (
    SELECT patient_id, min(mi) AS first_mi FROM c_cancer_months GROUP BY ALL
),
in_pathway AS (
    SELECT DISTINCT r.patient_id, t.mi
    FROM c_referral_months r
    CROSS JOIN range({{windows.recent_months}}) o(k)
    JOIN c_months t ON t.mi = r.mi + o.k
),
aged AS (
    SELECT t.mi, t.t, p.patient_id, p.patient_text, p.sex, p.care_unit_id,
           p.listed_from, p.listed_to, p.death_date,
           CASE WHEN p.birth_date IS NOT NULL
                THEN year(t.t) - year(p.birth_date)
                     - CASE WHEN month(t.t) * 100 + day(t.t)
                                 < month(p.birth_date) * 100 + day(p.birth_date)
                            THEN 1 ELSE 0 END
                ELSE year(t.t) - p.birth_year END AS age
    FROM c_patients p CROSS JOIN c_months t
)
SELECT a.mi, a.patient_id, a.patient_text, a.sex, a.care_unit_id, a.age,
       CASE WHEN a.age IS NULL OR a.age < {{cohort.min_age}} THEN 1
            WHEN a.death_date <= a.t THEN 2
            WHEN a.listed_from > a.t OR a.listed_to < a.t THEN 3
            WHEN k.patient_id IS NOT NULL THEN 4
            WHEN r.patient_id IS NOT NULL THEN 5
            ELSE 0 END AS excluded_at,
       coalesce(f.first_mi <= a.mi - {{cohort.known_cancer_lookback_months}}, false) AS prior_cancer
FROM aged a
LEFT JOIN known_cancer k ON k.patient_id = a.patient_id AND k.mi = a.mi
LEFT JOIN in_pathway r ON r.patient_id = a.patient_id AND r.mi = a.mi
LEFT JOIN first_cancer f ON f.patient_id = a.patient_id;
