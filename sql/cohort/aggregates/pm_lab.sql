-- Labs used by criteria and route (lab_analytes: the engine's fixed ones plus the analyte of
-- each lab_above criterion): monthly max / min (earliest date on ties), sum and count. The sum
-- is exact (values have at most 6 decimals), so that it never depends on the order of adding.
SELECT k.pid AS patient_id, a.analyte, a.mi, a.vmax, a.vmax_date, a.vmin, a.vmin_date, a.vsum, a.n
FROM (
    SELECT patient_id, analyte, mi_of(sample_date) AS mi,
           max(value) AS vmax, arg_max(sample_date, max_key(value, sample_date)) AS vmax_date,
           min(value) AS vmin, arg_min(sample_date, min_key(value, sample_date)) AS vmin_date,
           sum(CAST(value AS DECIMAL(38, 6))) AS vsum, count(*) AS n
    FROM (SELECT DISTINCT * FROM raw_lab_results
          WHERE list_contains({{lab_analytes}}, analyte)
            AND sample_date BETWEEN {{lo_date}} AND {{hi_date}}
            AND value IS NOT NULL
            AND mi_of(sample_date) IN (SELECT mi FROM c_rebuild WHERE agg = 'pm_lab'))
    GROUP BY ALL
) a
JOIN c_ids k ON k.patient_id = a.patient_id
