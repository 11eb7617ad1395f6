SELECT sample_date AS date, 'lab' AS kind, analyte AS item, value, unit
FROM lab_results WHERE patient_id = $patient_id AND sample_date BETWEEN $from_date AND $to_date;
