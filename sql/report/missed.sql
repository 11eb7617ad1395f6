-- SPEC §6.2 missed opportunities: first counted cancer per patient diagnosed in
-- $period_from..$period_to; on the review list at some T in the $lookback months before
-- diagnosis; no referral start (any pathway) from that first T to the diagnosis date.
WITH dx AS (
    SELECT patient_id, min(diagnosis_date) AS dx_date
    FROM rpt_cancer
    WHERE diagnosis_date BETWEEN $period_from AND $period_to
    GROUP BY patient_id
), listed AS (
    SELECT dx.patient_id, dx.dx_date, min(last_day(r.month)) AS first_t
    FROM dx JOIN review_list r ON r.patient_id = dx.patient_id
    WHERE last_day(r.month) < dx.dx_date
      AND last_day(r.month) >= (dx.dx_date - to_months($lookback::INTEGER))::DATE
    GROUP BY ALL
)
SELECT (SELECT count(*) FROM dx) AS cancers,
       count(l.patient_id) AS on_list_before,
       count(l.patient_id) FILTER (WHERE NOT EXISTS (
           SELECT 1 FROM referrals f
           WHERE f.patient_id = l.patient_id AND f.event = 'start'
             AND f.event_date BETWEEN l.first_t AND l.dx_date)) AS never_referred,
       list(l.dx_date - l.first_t) FILTER (WHERE NOT EXISTS (
           SELECT 1 FROM referrals f
           WHERE f.patient_id = l.patient_id AND f.event = 'start'
             AND f.event_date BETWEEN l.first_t AND l.dx_date)) AS lead_days
FROM listed l;
