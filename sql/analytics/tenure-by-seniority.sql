-- Tenure by seniority: median (and quartile) months in completed positions per seniority level.
SELECT t.seniority, t.n AS positions, t.median_months, t.p25_months, t.p75_months
FROM tenure_stats t
WHERE t.model_version = coalesce(CAST(:model_version AS text),
                                 (SELECT model_version FROM analytics_model_versions WHERE is_latest))
ORDER BY array_position(ARRAY['Junior', 'Professional', 'Senior', 'Lead', 'Director', 'Management'], t.seniority);
