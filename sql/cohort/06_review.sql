-- Criteria of the patients who passed the exclusions, and the patients listed for review
-- (>= min_criteria distinct criteria) with their route and evidence. Whether a listing starts
-- a new episode is decided afterwards (10_episodes.sql), over the requested months and the
-- look-back months.
CREATE OR REPLACE TEMP TABLE c_criteria_ok AS
SELECT c.*
FROM c_criteria c
JOIN c_base b USING (patient_id, mi)
WHERE b.excluded_at = 0;

CREATE OR REPLACE TEMP TABLE c_listed AS
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
ferritin AS (
    SELECT patient_id, mi, r_min, r_min_date FROM c_r_lab WHERE analyte = 'ferritin'
)
SELECT l.mi, b.care_unit_id, l.patient_id,
       CAST(l.n_criteria AS INTEGER) AS n_criteria, l.criteria,
       CASE WHEN l.has_hb_low AND f.r_min < {{route.ferritin_below}}
            THEN 'iron_deficiency' ELSE 'aos' END AS route,
       b.prior_cancer,
       CASE WHEN l.has_hb_low AND f.r_min < {{route.ferritin_below}}
            THEN l.evidence || format('; ferritin {} µg/L {} (< {})', fmt(f.r_min), f.r_min_date,
                                      fmt({{route.ferritin_below}}))
            ELSE l.evidence END AS evidence
FROM listed l
JOIN c_base b USING (patient_id, mi)
LEFT JOIN ferritin f ON f.patient_id = l.patient_id AND f.mi = l.mi;
