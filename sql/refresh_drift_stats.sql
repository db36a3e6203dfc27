-- Drift of one model version's predicted class distribution against its reference (training)
-- distribution, overall and per ingestion day, from the class shares of the distribution_stats
-- view (the counters every batch keeps current): its cost follows the number of slices, not of
-- predictions.
-- :model_version, :drift_threshold and :drift_min_positions are bound by src/store/distribution-stats.ts.
--
-- PSI  = sum over classes of (p - q) * ln(p / q), with p and q floored at 1e-4 so that a class
--        absent on one side counts as rare rather than making the sum infinite.
-- JS   = Jensen-Shannon divergence in bits (0 = identical, 1 = disjoint), needs no floor.
-- A slice is flagged when its PSI exceeds the threshold (0.2 by default: the usual "significant
-- shift" line) and it holds at least :drift_min_positions positions (100 by default): on a few
-- dozen positions a class that happens to be absent alone pushes PSI over any threshold, so
-- flagging small days would only cry wolf. Versions without a reference distribution get no rows.

DELETE FROM drift_stats WHERE model_version = :model_version;

INSERT INTO drift_stats (model_version, task, scope, scope_value, n, psi, js, threshold, flagged)
WITH produced AS (
  SELECT task, scope, scope_value, label, n, share
  FROM distribution_stats
  WHERE model_version = :model_version AND scope IN ('overall', 'ingestion_day')
),
slices AS (
  SELECT task, scope, scope_value, sum(n)::int AS n
  FROM produced
  GROUP BY task, scope, scope_value
),
paired AS (
  SELECT s.task, s.scope, s.scope_value, s.n,
         coalesce(p.share, 0)::float8 AS p, r.share::float8 AS q
  FROM slices s
  JOIN reference_distributions r ON r.model_version = :model_version AND r.task = s.task
  LEFT JOIN produced p ON p.task = s.task AND p.scope = s.scope AND p.scope_value = s.scope_value AND p.label = r.label
),
divergence AS (
  SELECT task, scope, scope_value, n,
         sum((greatest(p, 1e-4) - greatest(q, 1e-4)) * ln(greatest(p, 1e-4) / greatest(q, 1e-4))) AS psi,
         sum(CASE WHEN p > 0 THEN 0.5 * p * ln(2 * p / (p + q)) ELSE 0 END
           + CASE WHEN q > 0 THEN 0.5 * q * ln(2 * q / (p + q)) ELSE 0 END) / ln(2) AS js
  FROM paired
  GROUP BY task, scope, scope_value, n
)
SELECT :model_version, task, scope, scope_value, n, psi, greatest(js, 0), CAST(:drift_threshold AS float8),
       psi > CAST(:drift_threshold AS float8) AND n >= CAST(:drift_min_positions AS int)
FROM divergence;
