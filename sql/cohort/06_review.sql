-- Criteria of the patients who passed the exclusions; the review list (>= min_criteria
-- distinct criteria); route; new episodes (not on the list in any of M-6 .. M-1).
CREATE OR REPLACE TEMP TABLE c_criteria_ok AS
SELECT c.*
FROM c_criteria c
JOIN c_base b USING (patient_id, mi)
WHERE b.excluded_at = 0;

CREATE OR REPLACE TEMP TABLE c_review AS
WITH enough AS (  -- each criterion gives at most one row per patient-month
    SELECT patient_id, mi, count(*) AS n_criteria
    FROM c_criteria_ok
    GROUP BY ALL
    HAVING count(*) >= {{cohort.min_criteria}}
),
listed AS (
    SELECT c.mi, c.patient_id, e.n_criteria,
           string_agg(c.criterion, ';' ORDER BY c.criterion) AS criteria,
           string_agg(c.evidence, '; ' ORDER BY c.criterion) AS evidence,
           bool_or(c.criterion = 'hb_low') AS has_hb_low
    FROM c_criteria_ok c
    JOIN enough e USING (patient_id, mi)
    GROUP BY ALL
),
episodes AS (
    SELECT l.*, b.care_unit_id, b.prior_cancer,
           lag(l.mi) OVER (PARTITION BY l.patient_id ORDER BY l.mi) AS prev_mi
    FROM listed l JOIN c_base b USING (patient_id, mi)
),
ferritin AS (
    SELECT patient_id, mi, r_min, r_min_date FROM c_r_lab WHERE analyte = 'ferritin'
)
SELECT e.mi, e.care_unit_id, e.patient_id,
       coalesce(e.prev_mi < e.mi - {{cohort.episode_lookback_months}}, true) AS new_episode,
       CAST(e.n_criteria AS INTEGER) AS n_criteria, e.criteria,
       CASE WHEN e.has_hb_low AND f.r_min < {{route.ferritin_below}}
            THEN 'iron_deficiency' ELSE 'aos' END AS route,
       e.prior_cancer,
       CASE WHEN e.has_hb_low AND f.r_min < {{route.ferritin_below}}
            THEN e.evidence || format('; ferritin {} µg/L {} (< {})', fmt(f.r_min), f.r_min_date,
                                      fmt({{route.ferritin_below}}))
            ELSE e.evidence END AS evidence
FROM episodes e
LEFT JOIN ferritin f ON f.patient_id = e.patient_id AND f.mi = e.mi;
