-- What profiles contribute to stat_class_counts: positions per (version, task, scope, scope value,
-- predicted label), with fallbacks, overrides (analysts' corrections) and summed confidence (in
-- millionths, so sums stay exact). Scopes: overall, organization (the organization key:
-- text/organization.ts folds case, punctuation and legal forms), start period (the start year) and ingestion
-- day (UTC day the profile was first stored). :profile_ids / :model_version NULL: all of them.
-- (A batch's profiles are filtered on one table only, and the others joined by their primary
-- keys: repeated on an inner table, the `= ANY` became part of its index condition, 250 index
-- descents per joined row. statistics.ts keeps the batch's reads on the indexes.)
SELECT pr.model_version, t.task, s.scope, s.scope_value, t.label,
       count(*)::bigint AS n,
       count(*) FILTER (WHERE t.source = 'fallback')::bigint AS fallbacks,
       count(*) FILTER (WHERE t.source = 'override')::bigint AS overrides,
       sum(round(t.confidence::float8 * 1e6))::bigint AS confidence_micros
FROM predictions pr
JOIN positions po USING (profile_id, position_index)
JOIN profiles pf USING (profile_id)
CROSS JOIN LATERAL (VALUES
  ('seniority', pr.seniority, pr.seniority_source, pr.seniority_confidence),
  ('department', pr.department, pr.department_source, pr.department_confidence)
) AS t(task, label, source, confidence)
CROSS JOIN LATERAL (VALUES
  ('overall', ''),
  ('organization', po.organization_key),
  ('start_period', left(po.start_date, 4)),  -- the year: months split shares too thin to read
  ('ingestion_day', to_char(pf.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'))
) AS s(scope, scope_value)
WHERE s.scope_value IS NOT NULL
  AND (CAST(:profile_ids AS text[]) IS NULL OR po.profile_id = ANY(CAST(:profile_ids AS text[])))
  AND (CAST(:model_version AS text) IS NULL OR pr.model_version = CAST(:model_version AS text))
GROUP BY pr.model_version, t.task, s.scope, s.scope_value, t.label;
