-- Met criteria by evidence date (a criterion met in several months on the same evidence counts once).
SELECT DISTINCT coalesce(evidence_date, last_day(month)) AS date, 'criterion met' AS kind,
       criterion AS item, value, unit
FROM criteria_met WHERE patient_id = $patient_id AND month BETWEEN $from_date AND $to_date;
