-- Seniority mix by organization: the share of each level among the positions of the 25
-- organizations with the most positions (newest model version, or --model VERSION).
SELECT organization, positions, junior, professional, senior, lead, director, management
FROM analytics_seniority_mix_by_organization
WHERE model_version = coalesce(CAST(:model_version AS text),
                               (SELECT model_version FROM analytics_model_versions WHERE is_latest))
ORDER BY positions DESC, organization
LIMIT 25;
