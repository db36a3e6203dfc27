-- What profiles contribute to stat_career_counts: profiles scored per version, and the moves,
-- promotions and step-downs their career features count.
SELECT model_version, count(*)::bigint AS profiles,
       sum(greatest(jsonb_array_length(features -> 'levels') - 1, 0))::bigint AS moves,
       sum(coalesce((features ->> 'promotions')::int, 0))::bigint AS promotions,
       sum(coalesce((features ->> 'stepDowns')::int, 0))::bigint AS step_downs,
       count(*) FILTER (WHERE coalesce((features ->> 'promotions')::int, 0) > 0)::bigint AS promoted_profiles
FROM career_features
WHERE (CAST(:profile_ids AS text[]) IS NULL OR profile_id = ANY(CAST(:profile_ids AS text[])))
  AND (CAST(:model_version AS text) IS NULL OR model_version = CAST(:model_version AS text))
GROUP BY model_version;
