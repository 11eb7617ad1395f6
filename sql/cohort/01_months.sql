-- Target months: the requested months plus the episode look-back months before them
-- (c_month_list is filled by the engine). A month whose baseline window B starts before
-- the first month with any event data (first_data_mi, from the engine) is marked
-- baseline_incomplete.
CREATE OR REPLACE TEMP TABLE c_months AS
SELECT
    l.mi,
    month_of(l.mi) AS month,
    last_day(month_of(l.mi)) AS t,
    l.requested,
    coalesce(l.mi - {{windows.recent_months}} - {{windows.baseline_months}} + 1 < {{first_data_mi}}, true)
        AS baseline_incomplete
FROM c_month_list l;
