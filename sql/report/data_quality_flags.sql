-- Data-quality warnings: patients kept with sex unknown (SPEC §1 v1.1), ingested files with no
-- rows, and columns for which at least half of a file's rows were quarantined (loaded only with
-- --accept-empty / --accept-quarantine, issue 9). Summed over every ingested extract.
WITH f AS (SELECT table_name, source_file, sum(rows_read) AS rows_read FROM ingest_files GROUP BY ALL),
q AS (SELECT table_name, source_file, column_name, count(*) AS rows FROM quarantine
      WHERE column_name IS NOT NULL GROUP BY ALL)
SELECT * FROM (
    SELECT 'patients' AS table_name, 'unknown_sex' AS item, 'sex' AS column_name, '' AS source_file,
           count(*) AS rows FROM patients WHERE sex IS NULL
    UNION ALL
    SELECT table_name, 'empty_file', '', source_file, 0 FROM f WHERE rows_read = 0
    UNION ALL
    SELECT q.table_name, 'high_quarantine', q.column_name, q.source_file, q.rows
    FROM q JOIN f USING (table_name, source_file) WHERE q.rows >= 0.5 * f.rows_read
) WHERE rows > 0 OR item = 'empty_file'
ORDER BY item, table_name, source_file, column_name;
