-- SPEC §6.3: AOS starts per month; closed within $target days; median days to closing.
-- A start is judged once it is closed or $target days have passed by $data_complete.
SELECT month,
       count(*) AS starts,
       count(*) FILTER (WHERE close_date IS NOT NULL
                           OR start_date + $target::INTEGER <= $data_complete) AS judged,
       count(*) FILTER (WHERE close_date - start_date <= $target::INTEGER) AS closed_in_target,
       count(close_date) AS closed,
       median(close_date - start_date) AS median_days
FROM rpt_start
WHERE month BETWEEN $first AND $last
GROUP BY month
ORDER BY month;
