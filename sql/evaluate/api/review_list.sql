-- The review list of one month (patient-level: for the care unit's clinicians only).
SELECT * FROM review_list WHERE month = $month ORDER BY care_unit_id, n_criteria DESC, patient_id;
