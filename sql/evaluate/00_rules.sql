-- The rules to back-test: every criterion, every pair of criteria, and the review rule at each
-- min_criteria setting. Criteria = the rules file's ids ($criteria) plus any id met in the data.

CREATE OR REPLACE TEMP TABLE eval_min_criteria AS
SELECT CAST(unnest($min_criteria) AS INTEGER) AS k;

CREATE OR REPLACE TEMP TABLE eval_criteria AS
SELECT DISTINCT criterion FROM (
    SELECT CAST(unnest($criteria) AS VARCHAR) AS criterion
    UNION ALL
    SELECT DISTINCT criterion FROM criteria_met WHERE month BETWEEN $lookback_from AND $last
);

CREATE OR REPLACE TEMP TABLE eval_rules AS
SELECT 'criterion:' || criterion AS rule_id, 'criterion' AS kind, criterion AS criteria,
       CAST(NULL AS INTEGER) AS min_criteria
FROM eval_criteria
UNION ALL
SELECT 'pair:' || a.criterion || '+' || b.criterion, 'pair', a.criterion || '+' || b.criterion, NULL
FROM eval_criteria a JOIN eval_criteria b ON a.criterion < b.criterion
UNION ALL
SELECT 'min_criteria:' || k, 'min_criteria', NULL, k
FROM eval_min_criteria;
