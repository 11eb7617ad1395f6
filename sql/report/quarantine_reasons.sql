-- Quarantined rows per table, column and reason category (pipeline/reasons.py: never the
-- reason's text, which may quote a cell).
SELECT table_name, coalesce(column_name, '') AS column_name, aos_release_reason(reason) AS reason,
       count(*) AS rows
FROM quarantine GROUP BY ALL ORDER BY table_name, rows DESC, column_name, reason;
