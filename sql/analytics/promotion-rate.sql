-- Promotion rate: level increases per move between consecutive positions, and the share of
-- profiles promoted at least once, per model version.
SELECT model_version, profiles, transitions, promotions, step_downs, promotion_rate, promoted_profile_share
FROM promotion_stats
WHERE CAST(:model_version AS text) IS NULL OR model_version = CAST(:model_version AS text)
ORDER BY computed_at DESC, model_version;
