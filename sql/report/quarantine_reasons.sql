-- Quarantined rows per table, column and reason.
SELECT table_name, coalesce(column_name, '') AS column_name, reason, count(*) AS rows
FROM quarantine GROUP BY ALL ORDER BY table_name, rows DESC, column_name, reason;
