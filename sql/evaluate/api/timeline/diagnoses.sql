SELECT diagnosis_date AS date, 'diagnosis' AS kind, icd10 AS item,
       CAST(NULL AS DOUBLE) AS value, CAST(NULL AS VARCHAR) AS unit
FROM diagnoses WHERE patient_id = $patient_id AND diagnosis_date BETWEEN $from_date AND $to_date;
