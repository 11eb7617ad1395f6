-- Window R (months m-2 .. m) for every target month m: each patient-month row is expanded
-- into the (at most 3) target months whose R contains it, then summed / maxed.
-- r_first_mi = the first month of R of the first target month (older rows are B only).

CREATE OR REPLACE TEMP TABLE c_r_contacts AS
SELECT p.patient_id, t.mi, sum(p.days) AS days, max(p.last_date) AS last_date
FROM c_pm_contacts p
CROSS JOIN range({{windows.recent_months}}) o(k)
JOIN c_months t ON t.mi = p.mi + o.k
WHERE p.mi >= {{r_first_mi}}
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE c_r_rx AS
SELECT p.patient_id, t.mi, sum(p.n) AS n, max(p.last_date) AS last_date
FROM c_pm_rx p
CROSS JOIN range({{windows.recent_months}}) o(k)
JOIN c_months t ON t.mi = p.mi + o.k
WHERE p.mi >= {{r_first_mi}}
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE c_r_lab AS
SELECT p.patient_id, p.analyte, t.mi,
       max(p.vmax) AS r_max, arg_max(p.vmax_date, max_key(p.vmax, p.vmax_date)) AS r_max_date,
       min(p.vmin) AS r_min, arg_min(p.vmin_date, min_key(p.vmin, p.vmin_date)) AS r_min_date
FROM c_pm_lab p
CROSS JOIN range({{windows.recent_months}}) o(k)
JOIN c_months t ON t.mi = p.mi + o.k
WHERE p.mi >= {{r_first_mi}}
GROUP BY ALL;

-- Calcium: a sample in month m itself may only use albumin dated <= T (eom version).
CREATE OR REPLACE TEMP TABLE c_r_calcium AS
SELECT p.patient_id, t.mi,
       max(CASE WHEN o.k = 0 THEN p.eom_max ELSE p.all_max END) AS r_max,
       arg_max(CASE WHEN o.k = 0 THEN p.eom_best ELSE p.all_best END,
               max_key(CASE WHEN o.k = 0 THEN p.eom_max ELSE p.all_max END,
                       (CASE WHEN o.k = 0 THEN p.eom_best ELSE p.all_best END).d)) AS best
FROM c_pm_calcium p
CROSS JOIN range({{windows.recent_months}}) o(k)
JOIN c_months t ON t.mi = p.mi + o.k
WHERE p.mi >= {{r_first_mi}}
GROUP BY ALL;

-- Weight: the latest weight day in R.
CREATE OR REPLACE TEMP TABLE c_r_weight AS
SELECT p.patient_id, t.mi, arg_max(p.latest, p.latest.d) AS latest
FROM c_pm_weight p
CROSS JOIN range({{windows.recent_months}}) o(k)
JOIN c_months t ON t.mi = p.mi + o.k
WHERE p.mi >= {{r_first_mi}}
GROUP BY ALL;

-- "New" items (ATC substances, diagnosis code groups): present in R and absent from B.
-- Take the item's month f and the previous month p with the item. For a target month m
-- whose R contains f, the item is new with f as its earliest month in R exactly when p is
-- NULL or p < m - 14 (before B): then no month of the item lies in B or earlier in R.
-- Each (item, m) is therefore produced at most once, without grouping; rows whose p is
-- within 12 months (a drug taken regularly, a recurring code) can never be new.
CREATE OR REPLACE TEMP TABLE c_r_new_items AS
WITH items AS (
    SELECT 'substance' AS source, patient_id, item, mi, first_date, NULL AS first_code, prev_mi
    FROM c_substance_months
    WHERE mi >= {{r_first_mi}}
      AND (prev_mi IS NULL OR prev_mi < mi - {{baseline.from_offset}} + {{windows.recent_months}} - 1)
    UNION ALL
    SELECT 'code', patient_id, item, mi, first_date, first_code, prev_mi
    FROM c_code_months
    WHERE mi >= {{r_first_mi}}
      AND (prev_mi IS NULL OR prev_mi < mi - {{baseline.from_offset}} + {{windows.recent_months}} - 1)
)
SELECT i.source, i.patient_id, i.item, t.mi,
       {'d': i.first_date, 'code': i.first_code, 'prev_mi': i.prev_mi} AS fst
FROM items i
CROSS JOIN range({{windows.recent_months}}) o(k)
JOIN c_months t ON t.mi = i.mi + o.k
WHERE i.prev_mi IS NULL OR i.prev_mi < t.mi - {{baseline.from_offset}};
