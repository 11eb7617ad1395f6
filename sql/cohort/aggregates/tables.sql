-- Book-keeping of the stored aggregates (docs/architecture.md "Stored aggregates").
-- agg_patient_keys: the stable integer key of every patient (new patients are appended).
-- agg_counts: rows per event table and month when the aggregates were last brought up to
--   date (ingest only appends event rows, so a changed count marks a changed month).
-- agg_state: the hash of what the aggregates depend on (their SQL and the rules values in it).
CREATE TABLE IF NOT EXISTS agg_patient_keys (patient_id VARCHAR, pid INTEGER);
CREATE TABLE IF NOT EXISTS agg_counts (table_name VARCHAR, mi INTEGER, n BIGINT);
CREATE TABLE IF NOT EXISTS agg_state (name VARCHAR, value VARCHAR);
