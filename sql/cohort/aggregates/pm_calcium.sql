-- Calcium per patient-month, albumin-corrected with the albumin nearest in time within +-N
-- days (the earlier day on a tie; the mean of that day's values). It reads albumin of the
-- months around the sample's (the engine rebuilds a month when lab_results of it or of a
-- neighbouring month within N days changed); the mean is an exact sum (never depends on the
-- order of adding). Two versions per sample, because of T:
--   eom: only albumin on or before the last day of the sample's own month (used when the
--        sample lies in month M itself, whose T is that day);
--   all: any albumin within +-N days (a sample in M-1 or earlier: sample + N <= T).
WITH labs AS (
    SELECT DISTINCT * FROM src_lab_results
    WHERE analyte IN ('calcium', 'albumin') AND value IS NOT NULL
      AND sample_date BETWEEN {{lo_date}} - {{calcium_high.albumin_max_days}}
                          AND {{hi_date}} + {{calcium_high.albumin_max_days}}
),
albumin_days AS (
    SELECT patient_id, sample_date, round(avg(CAST(value AS DECIMAL(38, 6))), 6) AS albumin
    FROM labs WHERE analyte = 'albumin'
    GROUP BY ALL
),
ca AS (
    SELECT DISTINCT patient_id, sample_date, value
    FROM labs
    WHERE analyte = 'calcium' AND sample_date BETWEEN {{lo_date}} AND {{hi_date}}
      AND mi_of(sample_date) IN (SELECT mi FROM c_rebuild WHERE agg = 'pm_calcium')
),
nearest AS (
    SELECT ca.patient_id, ca.sample_date, ca.value,
           arg_min({'albumin': a.albumin, 'albumin_date': a.sample_date},
                   {'dist': abs(a.sample_date - ca.sample_date), 'd': a.sample_date}) AS alb_all,
           arg_min({'albumin': a.albumin, 'albumin_date': a.sample_date},
                   {'dist': abs(a.sample_date - ca.sample_date), 'd': a.sample_date})
               FILTER (WHERE a.sample_date <= last_day(ca.sample_date)) AS alb_eom
    FROM ca
    LEFT JOIN albumin_days a
      ON a.patient_id = ca.patient_id
     AND a.sample_date BETWEEN ca.sample_date - {{calcium_high.albumin_max_days}}
                           AND ca.sample_date + {{calcium_high.albumin_max_days}}
    GROUP BY ALL
),
calcium AS (
    SELECT patient_id, sample_date, value, mi_of(sample_date) AS mi, alb_all, alb_eom,
           round(value + {{calcium_high.albumin_factor}}
                 * ({{calcium_high.albumin_reference}} - alb_all.albumin), 6) AS corr_all,
           round(value + {{calcium_high.albumin_factor}}
                 * ({{calcium_high.albumin_reference}} - alb_eom.albumin), 6) AS corr_eom
    FROM nearest
)
-- Per patient-month: the highest (corrected where possible) calcium of both versions.
SELECT patient_id, mi,
       max(coalesce(corr_all, value)) AS all_max,
       arg_max({'v': coalesce(corr_all, value), 'd': sample_date, 'raw': value,
                'albumin': alb_all.albumin, 'albumin_date': alb_all.albumin_date},
               max_key(coalesce(corr_all, value), sample_date)) AS all_best,
       max(coalesce(corr_eom, value)) AS eom_max,
       arg_max({'v': coalesce(corr_eom, value), 'd': sample_date, 'raw': value,
                'albumin': alb_eom.albumin, 'albumin_date': alb_eom.albumin_date},
               max_key(coalesce(corr_eom, value), sample_date)) AS eom_best
FROM calcium
GROUP BY ALL
