-- esr_high: max ESR in R > (age + offset) / divisor mm/h, age at T
--           (men: age/2, women: (age + 10)/2), and no ESR above that same limit in B.
--           Unknown sex (NULL, SPEC §1 v1.1): no limit, not met.
WITH cand AS (
    SELECT * FROM (
        SELECT l.patient_id, l.mi, l.r_max, l.r_max_date, b.age,
               round((b.age + CASE b.sex WHEN 'F' THEN {{esr_high.age_offset_female}}
                                         WHEN 'M' THEN {{esr_high.age_offset_male}} END)
                     / {{esr_high.age_divisor}}, 6) AS threshold
        FROM c_r_lab l JOIN c_base b USING (patient_id, mi)
        WHERE l.analyte = 'esr'
    ) WHERE r_max > threshold
),
base AS (
    SELECT c.patient_id, c.mi, max(p.vmax) AS b_max
    FROM cand c
    LEFT JOIN c_pm_lab p
      ON p.patient_id = c.patient_id AND p.analyte = 'esr'
     AND p.mi BETWEEN c.mi - {{baseline.from_offset}} AND c.mi - {{baseline.to_offset}}
    GROUP BY ALL
)
SELECT c.mi, c.patient_id, 'esr_high' AS criterion, c.r_max_date AS evidence_date,
       c.r_max AS value, c.threshold, {{esr_high.unit}} AS unit,
       format('ESR {} {} {} (> {} at age {})', fmt(c.r_max), {{esr_high.unit}}, c.r_max_date,
              fmt(c.threshold), c.age) AS evidence
FROM cand c JOIN base b USING (patient_id, mi)
WHERE b.b_max IS NULL OR b.b_max <= c.threshold
