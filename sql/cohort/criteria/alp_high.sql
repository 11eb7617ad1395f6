-- alp_high: max ALP in R > above, and no ALP above it in B.
WITH cand AS (
    SELECT patient_id, mi, r_max, r_max_date
    FROM c_r_lab
    WHERE analyte = 'alp' AND r_max > {{alp_high.above}}
),
base AS (
    SELECT c.patient_id, c.mi, max(p.vmax) AS b_max
    FROM cand c
    LEFT JOIN c_pm_lab p
      ON p.patient_id = c.patient_id AND p.analyte = 'alp'
     AND p.mi BETWEEN c.mi - {{baseline.from_offset}} AND c.mi - {{baseline.to_offset}}
    GROUP BY ALL
)
SELECT c.mi, c.patient_id, 'alp_high' AS criterion, c.r_max_date AS evidence_date,
       c.r_max AS value, {{alp_high.above}} AS threshold, {{alp_high.unit}} AS unit,
       format('ALP {} {} {} (> {})', fmt(c.r_max), {{alp_high.unit}}, c.r_max_date,
              fmt({{alp_high.above}})) AS evidence
FROM cand c JOIN base b USING (patient_id, mi)
WHERE b.b_max IS NULL OR b.b_max <= {{alp_high.above}}
