-- Stored aggregate agg_pm_contacts: distinct contact days per patient-month (days never
-- overlap across months). Every file here is one SELECT of the months to rebuild (c_rebuild,
-- filled by pipeline/cohort/aggregates.py), dated lo_date .. hi_date; the engine deletes those
-- months of the stored table and inserts this.
SELECT patient_id, mi_of(contact_date) AS mi,
       count(DISTINCT contact_date) AS days, max(contact_date) AS last_date
FROM src_contacts
WHERE contact_date BETWEEN {{lo_date}} AND {{hi_date}}
  AND mi_of(contact_date) IN (SELECT mi FROM c_rebuild WHERE agg = 'pm_contacts')
GROUP BY ALL
