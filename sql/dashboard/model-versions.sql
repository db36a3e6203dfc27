-- Every model version with statistics, newest registration first.
SELECT model_version, positions, is_latest
FROM analytics_model_versions
ORDER BY registered_at DESC, model_version DESC;
