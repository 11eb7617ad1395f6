SELECT contact_date AS date, 'contact' AS kind, coalesce(contact_type, 'contact') AS item,
       CAST(NULL AS DOUBLE) AS value, CAST(NULL AS VARCHAR) AS unit
FROM contacts WHERE patient_id = $patient_id AND contact_date BETWEEN $from_date AND $to_date;
