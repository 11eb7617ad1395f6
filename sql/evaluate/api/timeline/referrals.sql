SELECT event_date AS date, 'referral' AS kind, pathway || ' ' || event AS item,
       CAST(NULL AS DOUBLE) AS value, CAST(NULL AS VARCHAR) AS unit
FROM referrals WHERE patient_id = $patient_id AND event_date BETWEEN $from_date AND $to_date;
