-- The most recently ingested extract's completeness dates.
SELECT extract_id, region, extract_date, data_complete_until, cancer_register_complete_until,
       derived_fields, ingested_at
FROM extract_meta ORDER BY ingested_at DESC LIMIT 1;
