-- Promotions over all profiles of the version (one row, or none before the first refresh).
SELECT profiles, transitions, promotions, promotion_rate, promoted_profile_share
FROM promotion_stats
WHERE model_version = :model_version;
