-- Class shares: positions and share per class and task over everything the model scored, with
-- the reference (training) share beside it when one is stored.
SELECT d.task, d.label, d.n AS positions, d.share, r.share AS reference_share
FROM distribution_stats d
LEFT JOIN reference_distributions r ON r.model_version = d.model_version AND r.task = d.task AND r.label = d.label
WHERE d.scope = 'overall'
  AND d.model_version = coalesce(CAST(:model_version AS text),
                                 (SELECT model_version FROM analytics_model_versions WHERE is_latest))
ORDER BY d.task DESC, d.n DESC, d.label;
