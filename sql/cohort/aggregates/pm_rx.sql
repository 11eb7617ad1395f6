-- Prescription rows per patient-month, from the stored per-item months (rebuilt after them).
SELECT patient_id, mi, sum(n) AS n, max(last_date) AS last_date
FROM main.agg_rx_item_months
WHERE mi IN (SELECT mi FROM c_rebuild WHERE agg = 'pm_rx')
GROUP BY ALL
