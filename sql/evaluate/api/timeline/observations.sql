SELECT obs_date AS date, 'observation' AS kind, kind AS item, value, unit
FROM observations WHERE patient_id = $patient_id AND obs_date BETWEEN $from_date AND $to_date;
