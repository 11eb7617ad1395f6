-- Per care unit in one month: eligible adults, patients on the review list, new episodes.
WITH eligible AS (
    SELECT care_unit_id, count(*) AS eligible_adults
    FROM eligible_adults WHERE month = $month GROUP BY care_unit_id
),
listed AS (
    SELECT care_unit_id, count(*) AS on_review_list,
           count(*) FILTER (WHERE new_episode) AS new_episodes
    FROM review_list WHERE month = $month GROUP BY care_unit_id
)
SELECT e.care_unit_id, e.eligible_adults,
       coalesce(l.on_review_list, 0) AS on_review_list,
       coalesce(l.new_episodes, 0) AS new_episodes
FROM eligible e LEFT JOIN listed l USING (care_unit_id)
ORDER BY e.care_unit_id;
