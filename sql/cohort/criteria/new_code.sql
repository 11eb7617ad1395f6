-- A code criterion (the rules file's `codes` of malaise_fatigue, appetite_loss, fever, pain):
-- a code of the group in R, and none of the same group in B. Codes match by prefix after
-- removing the dot (a prefix R53 matches R53, R531, R539). Run once per code criterion.
SELECT mi, patient_id, {{criterion}} AS criterion, fst.d AS evidence_date,
       CAST(NULL AS DOUBLE) AS value, CAST(NULL AS DOUBLE) AS threshold,
       CAST(NULL AS VARCHAR) AS unit,
       format('new {}: {} {}', {{codes_text}}, fst.code, fst.d) AS evidence
FROM c_r_new_items
WHERE source = 'code' AND item = {{criterion}}
