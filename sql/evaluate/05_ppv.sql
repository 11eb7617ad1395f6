-- Flag yield (PPV) per rule and follow-up window W: episodes whose window (t, last day of
-- month M + W] ends on or before $complete_until, and how many of them had a cancer in it.

WITH windows AS (
    SELECT unnest($windows) AS w
),
followed AS (
    SELECT e.rule_id, e.patient_id, e.t, w.w,
           last_day(CAST(e.month + to_months(w.w) AS DATE)) AS window_end
    FROM eval_episodes e
    CROSS JOIN windows w
    WHERE last_day(CAST(e.month + to_months(w.w) AS DATE)) <= $complete_until
),
outcome AS (
    SELECT f.rule_id, f.w, f.patient_id, f.t,
           EXISTS (
               SELECT 1 FROM eval_cancers c
               WHERE c.patient_id = f.patient_id
                 AND c.diagnosis_date > f.t
                 AND c.diagnosis_date <= f.window_end
           ) AS has_cancer
    FROM followed f
)
SELECT r.rule_id, w.w AS window_months,
       count(o.patient_id) AS n_followed,
       count(o.patient_id) FILTER (WHERE o.has_cancer) AS n_cancer
FROM eval_rules r
CROSS JOIN windows w
LEFT JOIN outcome o ON o.rule_id = r.rule_id AND o.w = w.w
GROUP BY r.rule_id, w.w
ORDER BY r.rule_id, w.w;
