-- Each version's overall drift against its reference distribution.
SELECT model_version, task, psi, js FROM drift_stats WHERE scope = 'overall';
