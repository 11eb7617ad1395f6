-- Per panel test: starts in $first..$last to which it applies, and starts missing it.
SELECT test_id, count(*) AS starts, count(*) FILTER (WHERE NOT present) AS missing
FROM rpt_panel_result
WHERE month BETWEEN $first AND $last
GROUP BY test_id
ORDER BY missing DESC, test_id;
