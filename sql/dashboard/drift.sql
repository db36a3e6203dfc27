-- Drift against the reference distribution, overall and per ingestion day.
SELECT task, scope, scope_value, n, psi, js, threshold, flagged
FROM drift_stats
WHERE model_version = :model_version
ORDER BY scope_value, task;
