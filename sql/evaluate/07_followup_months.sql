-- Which evaluated months have complete cancer follow-up for each window W.

WITH months AS (
    SELECT CAST(unnest(generate_series($first, $last, INTERVAL 1 MONTH)) AS DATE) AS month
),
windows AS (
    SELECT unnest($windows) AS w
)
SELECT w.w AS window_months, m.month,
       last_day(CAST(m.month + to_months(w.w) AS DATE)) AS window_end,
       last_day(CAST(m.month + to_months(w.w) AS DATE)) <= $complete_until AS complete
FROM months m CROSS JOIN windows w
ORDER BY w.w, m.month;
