-- Patients not yet in agg_patient_keys get the next keys, in patient_id order.
INSERT INTO agg_patient_keys
SELECT patient_id,
       CAST((SELECT coalesce(max(pid), 0) FROM agg_patient_keys)
            + row_number() OVER (ORDER BY patient_id) AS INTEGER)
FROM (SELECT DISTINCT p.patient_id FROM main.patients p
      ANTI JOIN agg_patient_keys k ON k.patient_id = p.patient_id);
