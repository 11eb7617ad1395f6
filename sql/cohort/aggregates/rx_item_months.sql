-- Prescriptions: rows per patient, full ATC code and month (two prescriptions of one drug on
-- one day are two rows; exact duplicates count once).
SELECT patient_id, atc_code AS item, mi_of(prescribed_date) AS mi, count(*) AS n,
       min(prescribed_date) AS first_date, max(prescribed_date) AS last_date
FROM (SELECT DISTINCT * FROM src_prescriptions
      WHERE prescribed_date BETWEEN {{lo_date}} AND {{hi_date}}
        AND mi_of(prescribed_date) IN (SELECT mi FROM c_rebuild WHERE agg = 'rx_item_months'))
GROUP BY ALL
