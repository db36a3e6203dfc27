-- Positions per predicted class over each version's whole stream.
SELECT model_version, task, label, n FROM distribution_stats WHERE scope = 'overall';
