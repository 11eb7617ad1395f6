-- Weight per patient-month: the month's latest weight day, with the highest daily weight from
-- d - N days to d - 1 day (several weights on one day count as their mean). It reads the N
-- days before the month (the engine rebuilds a month when observations of it or of a month
-- within N days before it changed). All of it lies on or before d. Means are exact sums of
-- the 6-decimal values, so they never depend on the order of adding.
WITH days AS (
    SELECT patient_id, obs_date, w, mi_of(obs_date) AS mi,
           max(w) OVER (PARTITION BY patient_id ORDER BY obs_date
                        RANGE BETWEEN to_days({{weight_loss.lookback_days}}) PRECEDING
                                  AND to_days(1) PRECEDING) AS prior_max
    FROM (
        SELECT patient_id, obs_date, round(avg(CAST(value AS DECIMAL(38, 6))), 6) AS w
        FROM (SELECT DISTINCT * FROM src_observations
              WHERE kind = 'weight' AND value IS NOT NULL
                AND obs_date BETWEEN {{lo_date}} - {{weight_loss.lookback_days}} AND {{hi_date}})
        GROUP BY ALL
    )
)
SELECT patient_id, mi,
       arg_max({'d': obs_date, 'w': w, 'prior_max': prior_max,
                'loss_pct': round(100 * (prior_max - w) / prior_max, 6)}, obs_date) AS latest
FROM days
WHERE mi IN (SELECT mi FROM c_rebuild WHERE agg = 'pm_weight')
GROUP BY ALL
