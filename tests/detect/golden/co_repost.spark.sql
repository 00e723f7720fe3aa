SELECT
  account_id,
  target_action_id AS target,
  target_action_id AS unit,
  CAST(UNIX_MICROS(acted_at) AS DOUBLE) / 1e6 AS acted_at_s,
  action_id
FROM actions
WHERE
  kind = 'repost' AND NOT target_action_id IS NULL AND NOT acted_at IS NULL
