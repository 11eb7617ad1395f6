-- Attrition per month, for the region ('ALL') and per care unit: every patient in the
-- extract, then each exclusion in order (counted at the first that applies), then the
-- patients with fewer than min_criteria criteria; n_after of the last step = review list.
CREATE OR REPLACE TEMP TABLE c_attrition AS
WITH per_unit AS (
    SELECT b.mi, b.care_unit_id,
           count(*) AS n_total,
           count_if(b.excluded_at = 1) AS e1, count_if(b.excluded_at = 2) AS e2,
           count_if(b.excluded_at = 3) AS e3, count_if(b.excluded_at = 4) AS e4,
           count_if(b.excluded_at = 5) AS e5,
           count_if(b.excluded_at = 0 AND r.patient_id IS NULL) AS e6
    FROM c_base b
    LEFT JOIN c_listed r USING (patient_id, mi)
    GROUP BY ALL
),
all_units AS (
    SELECT * FROM per_unit
    UNION ALL
    SELECT mi, 'ALL', sum(n_total), sum(e1), sum(e2), sum(e3), sum(e4), sum(e5), sum(e6)
    FROM per_unit GROUP BY mi
),
steps AS (
    SELECT mi, care_unit_id, n_total,
           unnest([1, 2, 3, 4, 5, 6]) AS step_no,
           unnest([
               format('age under {} at T', {{cohort.min_age}}),
               'dead at T',
               'not listed at T',
               format('known cancer in the last {} months', {{cohort.known_cancer_lookback_months}}),
               format('referral event in the last {} months', {{windows.recent_months}}),
               format('fewer than {} criteria (not on the review list)', {{cohort.min_criteria}})
           ]) AS step,
           unnest([e1, e2, e3, e4, e5, e6]) AS n_excluded
    FROM all_units
)
SELECT mi, care_unit_id, step_no, step,
       CAST(n_total - coalesce(sum(n_excluded) OVER w_before, 0) AS BIGINT) AS n_before,
       CAST(n_excluded AS BIGINT) AS n_excluded,
       CAST(n_total - sum(n_excluded) OVER w_upto AS BIGINT) AS n_after
FROM steps
WINDOW w_before AS (PARTITION BY mi, care_unit_id ORDER BY step_no
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
       w_upto AS (PARTITION BY mi, care_unit_id ORDER BY step_no
                  ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW);
