-- Per month and care unit: listed adults, patients on the review list, new review
-- episodes, AOS starts. Every unit seen in any source gets a row (zeros, never gaps).
-- Parameters: $first, $last (first days of the first and last month).
WITH listed AS (
    SELECT month, coalesce(care_unit_id, '(unknown)') AS care_unit_id, count(*) AS n
    FROM eligible_adults WHERE month BETWEEN $first AND $last GROUP BY ALL
), on_list AS (
    SELECT month, coalesce(care_unit_id, '(unknown)') AS care_unit_id,
           count(DISTINCT patient_id) AS n
    FROM review_list WHERE month BETWEEN $first AND $last GROUP BY ALL
), new_ep AS (
    SELECT month, care_unit_id, count(*) AS n
    FROM rpt_episode WHERE month BETWEEN $first AND $last GROUP BY ALL
), starts AS (
    SELECT month, care_unit_id, count(*) AS n
    FROM rpt_start WHERE month BETWEEN $first AND $last GROUP BY ALL
), months AS (
    SELECT DISTINCT month FROM eligible_adults WHERE month BETWEEN $first AND $last
), units AS (
    SELECT care_unit_id FROM listed UNION SELECT care_unit_id FROM on_list
    UNION SELECT care_unit_id FROM new_ep UNION SELECT care_unit_id FROM starts
)
SELECT m.month, u.care_unit_id,
       coalesce(l.n, 0) AS listed_adults,
       coalesce(o.n, 0) AS on_review_list,
       coalesce(e.n, 0) AS new_episodes,
       coalesce(s.n, 0) AS aos_starts
FROM months m CROSS JOIN units u
LEFT JOIN listed l ON l.month = m.month AND l.care_unit_id = u.care_unit_id
LEFT JOIN on_list o ON o.month = m.month AND o.care_unit_id = u.care_unit_id
LEFT JOIN new_ep e ON e.month = m.month AND e.care_unit_id = u.care_unit_id
LEFT JOIN starts s ON s.month = m.month AND s.care_unit_id = u.care_unit_id
ORDER BY m.month, u.care_unit_id;
