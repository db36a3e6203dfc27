-- What profiles contribute to stat_lead_counts: per version and current department, the months from
-- the first start to the first position at Lead or above (-1: never reached), from career features.
SELECT model_version, coalesce(current_department, '(none)') AS current_department,
       coalesce((features ->> 'monthsToFirstLead')::int, -1) AS months, count(*)::bigint AS n
FROM career_features
WHERE (CAST(:profile_ids AS text[]) IS NULL OR profile_id = ANY(CAST(:profile_ids AS text[])))
  AND (CAST(:model_version AS text) IS NULL OR model_version = CAST(:model_version AS text))
GROUP BY 1, 2, 3;
