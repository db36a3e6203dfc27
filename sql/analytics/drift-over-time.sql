-- Drift over time: per UTC ingestion day, the population stability index and Jensen-Shannon
-- divergence of the predicted classes against the training distribution, the flag
-- (psi > DRIFT_PSI_THRESHOLD) and the fallback rate.
SELECT day, task, positions, psi, js, flagged, fallback_rate
FROM analytics_drift_daily
WHERE model_version = coalesce(CAST(:model_version AS text),
                               (SELECT model_version FROM analytics_model_versions WHERE is_latest))
ORDER BY day, task;
