-- Recomputes the distribution statistics of one model version from its predictions.
-- :model_version is bound by src/store/distribution-stats.ts; run in one transaction so
-- readers never see a half-refreshed version. Each statement ends with a semicolon at line end.

DELETE FROM distribution_stats WHERE model_version = :model_version;

-- Class shares per task: overall, by organization, by start period (the start date as given:
-- YYYY-MM, or YYYY for a bare year) and by ingestion day (the UTC day the profile was first stored).
INSERT INTO distribution_stats (model_version, task, scope, scope_value, label, n, share)
SELECT :model_version, task, scope, scope_value, label, count(*)::int,
       count(*)::float8 / sum(count(*)) OVER (PARTITION BY task, scope, scope_value)
FROM (
  SELECT pr.seniority AS s_label, pr.department AS d_label, po.organization, po.start_date,
         to_char(pf.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS ingestion_day
  FROM predictions pr
  JOIN positions po USING (profile_id, position_index)
  JOIN profiles pf USING (profile_id)
  WHERE pr.model_version = :model_version
) scored
CROSS JOIN LATERAL (VALUES ('seniority', s_label), ('department', d_label)) AS t(task, label)
CROSS JOIN LATERAL (VALUES
  ('overall', ''),
  ('organization', nullif(btrim(organization), '')),
  ('start_period', start_date),
  ('ingestion_day', ingestion_day)
) AS s(scope, scope_value)
WHERE scope_value IS NOT NULL
GROUP BY task, scope, scope_value, label;

DELETE FROM confidence_histograms WHERE model_version = :model_version;

INSERT INTO confidence_histograms (model_version, task, bucket, n)
SELECT :model_version, task, least(floor(confidence * 10)::int, 9) AS bucket, count(*)::int
FROM predictions pr
CROSS JOIN LATERAL (VALUES
  ('seniority', pr.seniority_confidence),
  ('department', pr.department_confidence)
) AS t(task, confidence)
WHERE pr.model_version = :model_version
GROUP BY task, bucket;

DELETE FROM model_stats WHERE model_version = :model_version;

INSERT INTO model_stats (model_version, profiles, positions, seniority_fallback_rate,
                         department_fallback_rate, seniority_mean_confidence, department_mean_confidence)
SELECT :model_version,
       count(DISTINCT profile_id)::int,
       count(*)::int,
       coalesce(avg((seniority_source = 'fallback')::int), 0),
       coalesce(avg((department_source = 'fallback')::int), 0),
       coalesce(avg(seniority_confidence), 0),
       coalesce(avg(department_confidence), 0)
FROM predictions
WHERE model_version = :model_version
HAVING count(*) > 0;

-- Fallback rate per task, overall and per ingestion day: how often the ensemble was unsure
-- enough that the keyword rules decided.
DELETE FROM fallback_rates WHERE model_version = :model_version;

INSERT INTO fallback_rates (model_version, task, scope, scope_value, n, fallbacks, rate)
SELECT :model_version, task, scope, scope_value, count(*)::int,
       count(*) FILTER (WHERE source = 'fallback')::int,
       avg((source = 'fallback')::int)::float8
FROM (
  SELECT pr.seniority_source, pr.department_source,
         to_char(pf.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS ingestion_day
  FROM predictions pr
  JOIN profiles pf USING (profile_id)
  WHERE pr.model_version = :model_version
) scored
CROSS JOIN LATERAL (VALUES ('seniority', seniority_source), ('department', department_source)) AS t(task, source)
CROSS JOIN LATERAL (VALUES ('overall', ''), ('ingestion_day', ingestion_day)) AS s(scope, scope_value)
GROUP BY task, scope, scope_value;
