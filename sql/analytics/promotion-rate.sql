-- Promotion rate: level increases per move between consecutive positions, and the share of
-- profiles promoted at least once, per model version (newest registration first).
SELECT ps.model_version, ps.profiles, ps.transitions, ps.promotions, ps.step_downs, ps.promotion_rate,
       ps.promoted_profile_share
FROM promotion_stats ps
JOIN model_versions mv ON mv.version = ps.model_version
WHERE CAST(:model_version AS text) IS NULL OR ps.model_version = CAST(:model_version AS text)
ORDER BY mv.created_at DESC, ps.model_version;
