-- Helpers for every cohort stage. A month index `mi` = year * 12 + month - 1, so that
-- the windows of month m are plain integer ranges: R = m-2 .. m, B = m-14 .. m-3.
CREATE OR REPLACE TEMP MACRO mi_of(d) AS year(d) * 12 + month(d) - 1;
CREATE OR REPLACE TEMP MACRO month_of(i) AS make_date(CAST(i // 12 AS BIGINT), CAST(i % 12 + 1 AS BIGINT), 1);
-- A number as a clinician writes it: at most 6 decimals, no trailing ".0".
CREATE OR REPLACE TEMP MACRO fmt(x) AS regexp_replace(CAST(round(x, 6) AS VARCHAR), '\.0$', '');
-- Earliest date among ties: arg_max(date, max_key(value, date)) / arg_min(date, min_key(...)).
CREATE OR REPLACE TEMP MACRO max_key(v, d) AS {'v': v, 'd': -epoch(d)};
CREATE OR REPLACE TEMP MACRO min_key(v, d) AS {'v': v, 'd': epoch(d)};
