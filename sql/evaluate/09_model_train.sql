-- The training rows the models are fitted on: at most $max_rows of the 'train' rows of
-- eval_model_rows, those with the smallest seeded sample_key (a uniform random sample; the
-- same seed gives the same rows). The prefilter sample_key < $keep_below only spares the
-- sort: it keeps about 10 % more rows than the cap.

CREATE OR REPLACE TEMP TABLE eval_model_train AS
SELECT *
FROM eval_model_rows
WHERE role = 'train' AND sample_key < $keep_below
ORDER BY sample_key, month, patient_id
LIMIT $max_rows;

SELECT count(*) AS n_rows, count(DISTINCT patient_id) AS n_patients,
       count(*) FILTER (WHERE label) AS n_cancer
FROM eval_model_train;
