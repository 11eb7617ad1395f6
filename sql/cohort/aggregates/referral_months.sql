-- Referral events of any pathway, as patient-months.
SELECT DISTINCT patient_id, mi_of(event_date) AS mi
FROM src_referrals
WHERE event_date BETWEEN {{lo_date}} AND {{hi_date}}
  AND mi_of(event_date) IN (SELECT mi FROM c_rebuild WHERE agg = 'referral_months')
