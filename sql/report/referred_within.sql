-- New review episodes referred into any SVF pathway within $days days after T.
-- Only months whose follow-up (T + $days) ends on or before $data_complete.
SELECT e.month,
       count(*) AS new_episodes,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM referrals r
           WHERE r.patient_id = e.patient_id AND r.event = 'start'
             AND r.event_date > e.t AND r.event_date <= e.t + $days::INTEGER)) AS referred
FROM rpt_episode e
WHERE e.month BETWEEN $first AND $last
  AND e.t + $days::INTEGER <= $data_complete
GROUP BY e.month
ORDER BY e.month;
