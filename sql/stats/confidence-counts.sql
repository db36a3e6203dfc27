-- What profiles contribute to stat_confidence_counts: positions per confidence bucket of width 0.1
-- (bucket 9 includes 1.0). :profile_ids / :model_version NULL: all of them.
SELECT pr.model_version, t.task, least(floor(t.confidence * 10)::int, 9) AS bucket, count(*)::bigint AS n
FROM predictions pr
CROSS JOIN LATERAL (VALUES
  ('seniority', pr.seniority_confidence),
  ('department', pr.department_confidence)
) AS t(task, confidence)
WHERE (CAST(:profile_ids AS text[]) IS NULL OR pr.profile_id = ANY(CAST(:profile_ids AS text[])))
  AND (CAST(:model_version AS text) IS NULL OR pr.model_version = CAST(:model_version AS text))
GROUP BY pr.model_version, t.task, 3;
