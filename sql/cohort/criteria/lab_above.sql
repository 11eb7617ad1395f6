-- A lab_above criterion (kind lab_above in the rules file; e.g. alp_high, platelets_high):
-- max of the analyte in R > above, and none above it in B. Run once per such criterion.
WITH cand AS (
    SELECT patient_id, mi, r_max, r_max_date
    FROM c_r_lab
    WHERE analyte = {{analyte}} AND r_max > {{above}}
),
base AS (
    SELECT c.patient_id, c.mi, max(p.vmax) AS b_max
    FROM cand c
    LEFT JOIN c_pm_lab p
      ON p.patient_id = c.patient_id AND p.analyte = {{analyte}}
     AND p.mi BETWEEN c.mi - {{baseline.from_offset}} AND c.mi - {{baseline.to_offset}}
    GROUP BY ALL
)
SELECT c.mi, c.patient_id, {{criterion}} AS criterion, c.r_max_date AS evidence_date,
       c.r_max AS value, {{above}} AS threshold, {{unit}} AS unit,
       format('{} {} {} {} (> {})', {{label}}, fmt(c.r_max), {{unit}}, c.r_max_date,
              fmt({{above}})) AS evidence
FROM cand c JOIN base b USING (patient_id, mi)
WHERE b.b_max IS NULL OR b.b_max <= {{above}}
