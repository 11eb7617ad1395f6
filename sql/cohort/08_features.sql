-- Point-in-time patient-month features for every patient who passed the exclusions in a
-- requested month: demography at T, the window-R values behind each criterion, one flag per
-- criterion, n_criteria and the review-list flag. Everything is dated <= T.
-- The store step inserts this SELECT into patient_month_features a few months at a time
-- (months feat_lo_mi .. feat_hi_mi), which bounds the memory of the joins. Every R-window
-- table is unique per (patient, month), so this is a chain of joins on integer keys.
-- The engine (features_sql) fills the lab_max and lab_cols markers (R max of each lab_above
-- analyte) and the flags and flag_cols markers (one flag per criterion) from the rules file.
WITH labs AS (  -- one row per patient-month from the per-analyte R values
    SELECT patient_id, mi,
           /*lab_max*/max(r_max) FILTER (WHERE analyte = 'calcium_ionized') AS calcium_ionized_max_r,
           min(r_min) FILTER (WHERE analyte = 'hb') AS hb_min_r,
           max(r_max) FILTER (WHERE analyte = 'esr') AS esr_max_r,
           min(r_min) FILTER (WHERE analyte = 'ferritin') AS ferritin_min_r
    FROM c_r_lab
    WHERE mi BETWEEN {{feat_lo_mi}} AND {{feat_hi_mi}}
    GROUP BY ALL
),
new_substances AS (
    SELECT patient_id, mi, count(*) AS n
    FROM c_r_new_items
    WHERE source = 'substance' AND mi BETWEEN {{feat_lo_mi}} AND {{feat_hi_mi}}
    GROUP BY ALL
),
flags AS (  -- few rows: met criteria and the review list
    SELECT c.patient_id, c.mi,
           /*flags*/count(*) AS n_criteria,
           bool_or(r.patient_id IS NOT NULL) AS on_review_list
    FROM c_criteria_ok c
    LEFT JOIN c_listed r ON r.patient_id = c.patient_id AND r.mi = c.mi
    WHERE c.mi BETWEEN {{feat_lo_mi}} AND {{feat_hi_mi}}
    GROUP BY ALL
)
SELECT m.month, b.patient_text AS patient_id, b.age, b.sex, b.care_unit_id, b.prior_cancer,
       m.baseline_incomplete,
       CAST(coalesce(rc.days, 0) AS INTEGER) AS contact_days_r,
       CAST(coalesce(rx.n, 0) AS INTEGER) AS prescriptions_r,
       CAST(coalesce(ns.n, 0) AS INTEGER) AS new_substances_r,
       /*lab_cols*/ca.r_max AS calcium_corrected_max_r, v.calcium_ionized_max_r,
       v.hb_min_r, v.esr_max_r, v.ferritin_min_r,
       w.latest.w AS weight_latest_r, w.latest.loss_pct AS weight_loss_pct_r,
       /*flag_cols*/CAST(coalesce(f.n_criteria, 0) AS INTEGER) AS n_criteria,
       coalesce(f.on_review_list, false) AS on_review_list
FROM c_base b
JOIN c_months m ON m.mi = b.mi AND m.requested
LEFT JOIN (SELECT * FROM c_r_contacts WHERE mi BETWEEN {{feat_lo_mi}} AND {{feat_hi_mi}}) rc ON rc.patient_id = b.patient_id AND rc.mi = b.mi
LEFT JOIN (SELECT * FROM c_r_rx WHERE mi BETWEEN {{feat_lo_mi}} AND {{feat_hi_mi}}) rx ON rx.patient_id = b.patient_id AND rx.mi = b.mi
LEFT JOIN new_substances ns ON ns.patient_id = b.patient_id AND ns.mi = b.mi
LEFT JOIN labs v ON v.patient_id = b.patient_id AND v.mi = b.mi
LEFT JOIN (SELECT * FROM c_r_calcium WHERE mi BETWEEN {{feat_lo_mi}} AND {{feat_hi_mi}}) ca ON ca.patient_id = b.patient_id AND ca.mi = b.mi
LEFT JOIN (SELECT * FROM c_r_weight WHERE mi BETWEEN {{feat_lo_mi}} AND {{feat_hi_mi}}) w ON w.patient_id = b.patient_id AND w.mi = b.mi
LEFT JOIN flags f ON f.patient_id = b.patient_id AND f.mi = b.mi
WHERE b.excluded_at = 0 AND b.mi BETWEEN {{feat_lo_mi}} AND {{feat_hi_mi}}
