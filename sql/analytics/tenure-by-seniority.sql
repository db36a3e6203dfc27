-- Tenure by seniority: median (and quartile) months in completed positions per seniority level.
SELECT t.seniority, t.n AS positions, t.median_months, t.p25_months, t.p75_months
FROM tenure_stats t
JOIN labels l ON l.task = 'seniority' AND l.label = t.seniority
WHERE t.model_version = coalesce(CAST(:model_version AS text),
                                 (SELECT model_version FROM analytics_model_versions WHERE is_latest))
ORDER BY l.ordinal;
