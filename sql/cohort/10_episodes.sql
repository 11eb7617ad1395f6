-- The review list of the requested months (c_listed_req) with new episodes: a listing is new
-- when the patient was not listed in any of M-episode_lookback_months .. M-1. The look-back
-- months before the first requested month were computed for the listed patients only
-- (c_listed_lb); their listings are not stored.
CREATE OR REPLACE TEMP TABLE c_review AS
WITH all_listed AS (
    SELECT patient_id, mi, true AS requested FROM c_listed_req
    UNION ALL
    SELECT patient_id, mi, false FROM c_listed_lb
),
prev AS (
    SELECT patient_id, mi, requested,
           lag(mi) OVER (PARTITION BY patient_id ORDER BY mi) AS prev_mi
    FROM all_listed
)
SELECT r.mi, r.care_unit_id, r.patient_id,
       coalesce(p.prev_mi < r.mi - {{cohort.episode_lookback_months}}, true) AS new_episode,
       r.n_criteria, r.criteria, r.route, r.prior_cancer, r.evidence
FROM c_listed_req r
JOIN prev p ON p.patient_id = r.patient_id AND p.mi = r.mi AND p.requested;

INSERT INTO review_list
SELECT month_of(r.mi), r.care_unit_id, i.patient_id, r.new_episode, r.n_criteria, r.criteria,
       r.route, r.prior_cancer, r.evidence
FROM c_review r
JOIN c_ids i ON i.pid = r.patient_id
ORDER BY month_of(r.mi), r.care_unit_id, i.patient_id;
