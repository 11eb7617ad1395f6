-- contact_spike: distinct contact days in R >= min_days
--                and >= rise_factor x max(baseline_floor, contact days in B x R/B months).
WITH cand AS (
    SELECT patient_id, mi, days, last_date
    FROM c_r_contacts
    WHERE days >= {{contact_spike.min_days}}
),
base AS (
    SELECT c.patient_id, c.mi, coalesce(sum(p.days), 0) AS b_days
    FROM cand c
    LEFT JOIN c_pm_contacts p
      ON p.patient_id = c.patient_id
     AND p.mi BETWEEN c.mi - {{baseline.from_offset}} AND c.mi - {{baseline.to_offset}}
    GROUP BY ALL
),
scored AS (
    SELECT c.*, b.b_days,
           round(greatest({{contact_spike.min_days}},
                          {{contact_spike.rise_factor}} * greatest({{contact_spike.baseline_floor}},
                              round(b.b_days * {{windows.recent_months}} / {{windows.baseline_months}}, 6))),
                 6) AS threshold
    FROM cand c JOIN base b USING (patient_id, mi)
)
SELECT mi, patient_id, 'contact_spike' AS criterion, last_date AS evidence_date,
       CAST(days AS DOUBLE) AS value, threshold, {{contact_spike.unit}} AS unit,
       format('{} contact days in {} months up to {}, {} in the {} months before (≥ {})',
              days, {{windows.recent_months}}, last_date, b_days, {{windows.baseline_months}},
              fmt(threshold)) AS evidence
FROM scored
WHERE days >= threshold
