SELECT prescribed_date AS date, 'prescription' AS kind, atc_code AS item,
       CAST(NULL AS DOUBLE) AS value, CAST(NULL AS VARCHAR) AS unit
FROM prescriptions WHERE patient_id = $patient_id AND prescribed_date BETWEEN $from_date AND $to_date;
