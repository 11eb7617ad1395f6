-- drug_rise: >= min_new_substances full ATC codes prescribed in R and not in B,
--   or prescriptions (rows) in R >= min_prescriptions
--      and >= rise_factor x max(baseline_floor, prescriptions in B x R/B months).
WITH substances AS (
    SELECT patient_id, mi, count(*) AS n_new, max(fst.d) AS last_date,
           string_agg(item, ', ' ORDER BY item) AS items
    FROM c_r_new_items
    WHERE source = 'substance'
    GROUP BY ALL
    HAVING count(*) >= {{drug_rise.min_new_substances}}
),
cand AS (
    SELECT patient_id, mi, n, last_date FROM c_r_rx WHERE n >= {{drug_rise.min_prescriptions}}
),
base AS (
    SELECT c.patient_id, c.mi, coalesce(sum(p.n), 0) AS b_n
    FROM cand c
    LEFT JOIN c_pm_rx p
      ON p.patient_id = c.patient_id
     AND p.mi BETWEEN c.mi - {{baseline.from_offset}} AND c.mi - {{baseline.to_offset}}
    GROUP BY ALL
),
rows_met AS (
    SELECT * FROM (
        SELECT c.*, b.b_n,
               round(greatest({{drug_rise.min_prescriptions}},
                              {{drug_rise.rise_factor}} * greatest({{drug_rise.baseline_floor}},
                                  round(b.b_n * {{windows.recent_months}} / {{windows.baseline_months}}, 6))),
                     6) AS threshold
        FROM cand c JOIN base b USING (patient_id, mi)
    ) WHERE n >= threshold
)
SELECT mi, patient_id, 'drug_rise' AS criterion,
       coalesce(s.last_date, r.last_date) AS evidence_date,
       CAST(coalesce(s.n_new, r.n) AS DOUBLE) AS value,
       CAST(CASE WHEN s.n_new IS NOT NULL THEN {{drug_rise.min_new_substances}} ELSE r.threshold END
            AS DOUBLE) AS threshold,
       CASE WHEN s.n_new IS NOT NULL THEN 'substances' ELSE 'prescriptions' END AS unit,
       concat_ws(', ',
           CASE WHEN s.n_new IS NOT NULL THEN
               format('{} new drugs in {} months ({}) (≥ {})', s.n_new, {{windows.recent_months}},
                      s.items, {{drug_rise.min_new_substances}}) END,
           CASE WHEN r.n IS NOT NULL THEN
               format('{} prescriptions in {} months up to {}, {} in the {} months before (≥ {})',
                      r.n, {{windows.recent_months}}, r.last_date, r.b_n,
                      {{windows.baseline_months}}, fmt(r.threshold)) END) AS evidence
FROM substances s
FULL JOIN rows_met r USING (patient_id, mi)
