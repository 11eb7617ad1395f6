-- Rows read, loaded, already present and quarantined per table (all ingested files).
SELECT table_name, sum(rows_read)::BIGINT AS rows_read, sum(rows_loaded)::BIGINT AS rows_loaded,
       sum(rows_already_present)::BIGINT AS rows_already_present,
       sum(rows_quarantined)::BIGINT AS rows_quarantined
FROM ingest_files GROUP BY table_name ORDER BY table_name;
