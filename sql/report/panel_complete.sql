-- Per month: AOS starts and starts with a complete panel.
SELECT month, count(*) AS starts, count(*) FILTER (WHERE complete) AS complete
FROM (SELECT month, patient_id, start_date, bool_and(present) AS complete
      FROM rpt_panel_result GROUP BY ALL)
WHERE month BETWEEN $first AND $last
GROUP BY month ORDER BY month;
