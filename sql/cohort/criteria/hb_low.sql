-- hb_low: (min Hb in R < below_female / below_male and no Hb below that limit
--          in B) or (mean Hb in B - min Hb in R >= drop_at_least).
-- Unknown sex (NULL, SPEC §1 v1.1): no limit, so the first branch is not met; the drop applies.
WITH r AS (
    SELECT l.patient_id, l.mi, l.r_min, l.r_min_date,
           CASE b.sex WHEN 'F' THEN {{hb_low.below_female}} WHEN 'M' THEN {{hb_low.below_male}} END AS lim
    FROM c_r_lab l JOIN c_base b USING (patient_id, mi)
    WHERE l.analyte = 'hb'
),
base AS (
    SELECT r.patient_id, r.mi, min(p.vmin) AS b_min, round(sum(p.vsum) / sum(p.n), 6) AS b_mean
    FROM r
    LEFT JOIN c_pm_lab p
      ON p.patient_id = r.patient_id AND p.analyte = 'hb'
     AND p.mi BETWEEN r.mi - {{baseline.from_offset}} AND r.mi - {{baseline.to_offset}}
    GROUP BY ALL
),
scored AS (
    SELECT r.*, b.b_mean,
           coalesce(r.r_min < r.lim AND (b.b_min IS NULL OR b.b_min >= r.lim), false) AS new_low,
           round(b.b_mean - r.r_min, 6) AS hb_drop
    FROM r JOIN base b USING (patient_id, mi)
)
SELECT mi, patient_id, 'hb_low' AS criterion, r_min_date AS evidence_date,
       CASE WHEN new_low THEN r_min ELSE hb_drop END AS value,
       CASE WHEN new_low THEN lim ELSE {{hb_low.drop_at_least}} END AS threshold,
       {{hb_low.unit}} AS unit,
       CASE WHEN new_low
            THEN format('Hb {} g/L {} (< {})', fmt(r_min), r_min_date, fmt(lim))
            ELSE format('Hb {} g/L {}, {} below the baseline mean {} (drop ≥ {})', fmt(r_min),
                        r_min_date, fmt(hb_drop), fmt(b_mean), fmt({{hb_low.drop_at_least}}))
       END AS evidence
FROM scored
WHERE new_low OR hb_drop >= {{hb_low.drop_at_least}}
