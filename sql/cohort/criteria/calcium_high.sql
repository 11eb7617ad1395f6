-- calcium_high: albumin-corrected calcium > above (uncorrected where there is no
--   albumin within 7 days) or ionized calcium > ionized_above, in R;
--   new = neither form above its limit in B.
WITH ca AS (
    SELECT patient_id, mi, r_max, best FROM c_r_calcium WHERE r_max > {{calcium_high.above}}
),
ion AS (
    SELECT patient_id, mi, r_max, r_max_date
    FROM c_r_lab
    WHERE analyte = 'calcium_ionized' AND r_max > {{calcium_high.ionized_above}}
),
cand AS (
    SELECT patient_id, mi, ca.r_max AS ca_max, ca.best, ion.r_max AS ion_max, ion.r_max_date AS ion_date
    FROM ca FULL JOIN ion USING (patient_id, mi)
),
base_ca AS (
    SELECT c.patient_id, c.mi, max(p.all_max) AS b_max
    FROM cand c
    JOIN c_pm_calcium p
      ON p.patient_id = c.patient_id
     AND p.mi BETWEEN c.mi - {{baseline.from_offset}} AND c.mi - {{baseline.to_offset}}
    GROUP BY ALL
),
base_ion AS (
    SELECT c.patient_id, c.mi, max(p.vmax) AS b_max
    FROM cand c
    JOIN c_pm_lab p
      ON p.patient_id = c.patient_id AND p.analyte = 'calcium_ionized'
     AND p.mi BETWEEN c.mi - {{baseline.from_offset}} AND c.mi - {{baseline.to_offset}}
    GROUP BY ALL
)
SELECT c.mi, c.patient_id, 'calcium_high' AS criterion,
       coalesce(c.best.d, c.ion_date) AS evidence_date,
       coalesce(c.ca_max, c.ion_max) AS value,
       CASE WHEN c.ca_max IS NOT NULL THEN {{calcium_high.above}}
            ELSE {{calcium_high.ionized_above}} END AS threshold,
       {{calcium_high.unit}} AS unit,
       concat_ws(', ',
           CASE WHEN c.ca_max IS NOT NULL AND c.best.albumin IS NOT NULL THEN
               format('corrected Ca {} mmol/L {} (> {}; Ca {}, albumin {} g/L {})',
                      fmt(c.ca_max), c.best.d, fmt({{calcium_high.above}}), fmt(c.best.raw),
                      fmt(c.best.albumin), c.best.albumin_date)
                WHEN c.ca_max IS NOT NULL THEN
               format('Ca {} mmol/L {} (> {}; uncorrected, no albumin within {} days)',
                      fmt(c.ca_max), c.best.d, fmt({{calcium_high.above}}),
                      {{calcium_high.albumin_max_days}}) END,
           CASE WHEN c.ion_max IS NOT NULL THEN
               format('ionized Ca {} mmol/L {} (> {})', fmt(c.ion_max), c.ion_date,
                      fmt({{calcium_high.ionized_above}})) END) AS evidence
FROM cand c
LEFT JOIN base_ca bc USING (patient_id, mi)
LEFT JOIN base_ion bi USING (patient_id, mi)
WHERE coalesce(bc.b_max <= {{calcium_high.above}}, true)
  AND coalesce(bi.b_max <= {{calcium_high.ionized_above}}, true)
