-- Stored aggregate agg_pm_contacts: distinct contact days per patient-month (days never
-- overlap across months). Every file here is one SELECT of the months to rebuild (c_rebuild,
-- filled by pipeline/cohort/aggregates.py), dated lo_date .. hi_date; the engine deletes those
-- months of the stored table and inserts this. The big tables are grouped on the text
-- patient_id first (raw_*), then joined to their integer keys (c_ids): fewer rows to join.
SELECT k.pid AS patient_id, a.mi, a.days, a.last_date
FROM (
    SELECT patient_id, mi_of(contact_date) AS mi, count(*) AS days, max(contact_date) AS last_date
    FROM (SELECT DISTINCT patient_id, contact_date FROM raw_contacts
          WHERE contact_date BETWEEN {{lo_date}} AND {{hi_date}}
            AND mi_of(contact_date) IN (SELECT mi FROM c_rebuild WHERE agg = 'pm_contacts'))
    GROUP BY ALL
) a
JOIN c_ids k ON k.patient_id = a.patient_id
