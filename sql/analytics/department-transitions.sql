-- Department transitions: moves between consecutive positions from one department to another,
-- most frequent first, with the share of all moves out of the first department (stays excluded).
SELECT from_department, to_department, moves, share
FROM analytics_department_transitions
WHERE model_version = coalesce(CAST(:model_version AS text),
                               (SELECT model_version FROM analytics_model_versions WHERE is_latest))
  AND from_department <> to_department
ORDER BY moves DESC, from_department, to_department
LIMIT 40;
