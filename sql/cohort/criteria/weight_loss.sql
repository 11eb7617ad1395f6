-- weight_loss: the latest weight in R (day d; several weights on one day = their mean) is
--   >= loss_pct_at_least % below the highest weight from d - 183 to d - 1 days,
--   or a new code of the criterion's `codes` in R.
WITH measured AS (
    SELECT patient_id, mi, latest
    FROM c_r_weight
    WHERE latest.loss_pct >= {{weight_loss.loss_pct_at_least}}
),
coded AS (
    SELECT patient_id, mi, fst FROM c_r_new_items WHERE source = 'code' AND item = 'weight_loss'
)
SELECT mi, patient_id, 'weight_loss' AS criterion,
       coalesce(m.latest.d, c.fst.d) AS evidence_date,
       m.latest.loss_pct AS value,
       CASE WHEN m.latest IS NOT NULL THEN {{weight_loss.loss_pct_at_least}} END AS threshold,
       CASE WHEN m.latest IS NOT NULL THEN {{weight_loss.unit}} END AS unit,
       concat_ws(', ',
           CASE WHEN m.latest IS NOT NULL THEN
               format('weight {} kg {}, {} % below {} kg within {} days before (≥ {} %)',
                      fmt(m.latest.w), m.latest.d, fmt(m.latest.loss_pct), fmt(m.latest.prior_max),
                      {{weight_loss.lookback_days}}, fmt({{weight_loss.loss_pct_at_least}})) END,
           CASE WHEN c.fst IS NOT NULL THEN
               format('new {}: {} {}', {{weight_loss.codes_text}}, c.fst.code, c.fst.d) END)
           AS evidence
FROM measured m
FULL JOIN coded c USING (patient_id, mi)
