-- The two look-ups that cannot be monthly, done set-based once for all target months.

-- Calcium: albumin-corrected with the albumin nearest in time within +-N days (the earlier
-- day on a tie; the mean of that day's values). Two versions per sample, because of T:
--   corr_eom: only albumin on or before the last day of the sample's own month (used when
--             the sample lies in month M itself, whose T is that day);
--   corr_all: any albumin within +-N days (a sample in M-1 or earlier: sample + N <= T).
CREATE OR REPLACE TEMP TABLE c_albumin_days AS
SELECT patient_id, sample_date, round(avg(value), 6) AS albumin
FROM c_labs
WHERE analyte = 'albumin'
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE c_calcium AS
WITH ca AS (
    SELECT DISTINCT patient_id, sample_date, value
    FROM c_labs
    WHERE analyte = 'calcium' AND sample_date >= {{lo_date}}
),
nearest AS (
    SELECT ca.patient_id, ca.sample_date, ca.value,
           arg_min({'albumin': a.albumin, 'albumin_date': a.sample_date},
                   {'dist': abs(a.sample_date - ca.sample_date), 'd': a.sample_date}) AS alb_all,
           arg_min({'albumin': a.albumin, 'albumin_date': a.sample_date},
                   {'dist': abs(a.sample_date - ca.sample_date), 'd': a.sample_date})
               FILTER (WHERE a.sample_date <= last_day(ca.sample_date)) AS alb_eom
    FROM ca
    LEFT JOIN c_albumin_days a
      ON a.patient_id = ca.patient_id
     AND a.sample_date BETWEEN ca.sample_date - {{calcium_high.albumin_max_days}}
                           AND ca.sample_date + {{calcium_high.albumin_max_days}}
    GROUP BY ALL
)
SELECT patient_id, sample_date, value, mi_of(sample_date) AS mi,
       alb_all, alb_eom,
       round(value + {{calcium_high.albumin_factor}}
             * ({{calcium_high.albumin_reference}} - alb_all.albumin), 6) AS corr_all,
       round(value + {{calcium_high.albumin_factor}}
             * ({{calcium_high.albumin_reference}} - alb_eom.albumin), 6) AS corr_eom
FROM nearest;

-- Per patient-month: the highest (corrected where possible) calcium of both versions.
CREATE OR REPLACE TEMP TABLE c_pm_calcium AS
SELECT patient_id, mi,
       max(coalesce(corr_all, value)) AS all_max,
       arg_max({'v': coalesce(corr_all, value), 'd': sample_date, 'raw': value,
                'albumin': alb_all.albumin, 'albumin_date': alb_all.albumin_date},
               max_key(coalesce(corr_all, value), sample_date)) AS all_best,
       max(coalesce(corr_eom, value)) AS eom_max,
       arg_max({'v': coalesce(corr_eom, value), 'd': sample_date, 'raw': value,
                'albumin': alb_eom.albumin, 'albumin_date': alb_eom.albumin_date},
               max_key(coalesce(corr_eom, value), sample_date)) AS eom_best
FROM c_calcium
GROUP BY ALL;

-- Weight: daily mean (several weights on one day count as their mean), and the highest
-- daily weight from d - N days to d - 1 day. All of it lies on or before d.
CREATE OR REPLACE TEMP TABLE c_weight_days AS
SELECT patient_id, obs_date, w, mi_of(obs_date) AS mi,
       max(w) OVER (PARTITION BY patient_id ORDER BY obs_date
                    RANGE BETWEEN to_days({{weight_loss.lookback_days}}) PRECEDING
                              AND to_days(1) PRECEDING) AS prior_max
FROM (
    SELECT patient_id, obs_date, round(avg(value), 6) AS w
    FROM (SELECT DISTINCT * FROM src_observations
          WHERE kind = 'weight' AND value IS NOT NULL
            AND obs_date BETWEEN {{lo_date}} - {{weight_loss.lookback_days}} AND {{hi_date}})
    GROUP BY ALL
);

-- Per patient-month: the month's latest weight day.
CREATE OR REPLACE TEMP TABLE c_pm_weight AS
SELECT patient_id, mi,
       arg_max({'d': obs_date, 'w': w, 'prior_max': prior_max,
                'loss_pct': round(100 * (prior_max - w) / prior_max, 6)}, obs_date) AS latest
FROM c_weight_days
WHERE obs_date >= {{lo_date}}
GROUP BY ALL;
