-- Share of positions the keyword fallback decided, per task and UTC ingestion day.
SELECT task, scope_value, n, rate
FROM fallback_rates
WHERE model_version = :model_version AND scope = 'ingestion_day'
ORDER BY scope_value, task;
