-- The statistics as views over the additive counters of 0008 (kept current by
-- src/store/statistics.ts in the transaction that stores a batch): shares, rates, means and
-- percentiles are computed when read, from a few rows per model version, never from predictions.
-- Same names and columns as the tables 0009 dropped; the analytics views that read those tables
-- (dropped with them) are created again as 0002 defined them. Zero counters (everything a
-- profile contributed was subtracted again) are not shown.

CREATE VIEW distribution_stats AS
SELECT model_version, task, scope, scope_value, label, n::int AS n,
       n::float8 / sum(n) OVER (PARTITION BY model_version, task, scope, scope_value) AS share
FROM stat_class_counts
WHERE n > 0;
--> statement-breakpoint

CREATE VIEW confidence_histograms AS
SELECT model_version, task, bucket, n::int AS n
FROM stat_confidence_counts
WHERE n > 0;
--> statement-breakpoint

CREATE VIEW fallback_rates AS
SELECT model_version, task, scope, scope_value, sum(n)::int AS n, sum(fallbacks)::int AS fallbacks,
       sum(fallbacks)::float8 / sum(n) AS rate
FROM stat_class_counts
WHERE scope IN ('overall', 'ingestion_day') AND n > 0
GROUP BY model_version, task, scope, scope_value;
--> statement-breakpoint

CREATE VIEW model_stats AS
SELECT c.model_version, k.profiles::int AS profiles,
       sum(c.n) FILTER (WHERE c.task = 'seniority')::int AS positions,
       coalesce(sum(c.fallbacks) FILTER (WHERE c.task = 'seniority')::float8
                / nullif(sum(c.n) FILTER (WHERE c.task = 'seniority'), 0), 0) AS seniority_fallback_rate,
       coalesce(sum(c.fallbacks) FILTER (WHERE c.task = 'department')::float8
                / nullif(sum(c.n) FILTER (WHERE c.task = 'department'), 0), 0) AS department_fallback_rate,
       coalesce(sum(c.confidence_micros) FILTER (WHERE c.task = 'seniority')::float8 / 1e6
                / nullif(sum(c.n) FILTER (WHERE c.task = 'seniority'), 0), 0) AS seniority_mean_confidence,
       coalesce(sum(c.confidence_micros) FILTER (WHERE c.task = 'department')::float8 / 1e6
                / nullif(sum(c.n) FILTER (WHERE c.task = 'department'), 0), 0) AS department_mean_confidence
FROM stat_class_counts c
JOIN stat_career_counts k USING (model_version)
WHERE c.scope = 'overall' AND c.n > 0
GROUP BY c.model_version, k.profiles;
--> statement-breakpoint

-- Exact percentile_cont over the positions' durations, from the count of each duration: the
-- value at 0-based rank h = f * (n - 1), interpolated between the ranks floor(h) and ceil(h).
CREATE VIEW tenure_stats AS
WITH buckets AS (
  SELECT model_version, seniority, months, n,
         sum(n) OVER (PARTITION BY model_version, seniority ORDER BY months) - n AS before,
         sum(n) OVER (PARTITION BY model_version, seniority) AS total
  FROM stat_tenure_counts
  WHERE n > 0
),
points AS (
  SELECT DISTINCT b.model_version, b.seniority, b.total, f.fraction, f.fraction * (b.total - 1) AS h
  FROM buckets b
  CROSS JOIN (VALUES (0.25::float8), (0.5::float8), (0.75::float8)) AS f(fraction)
),
valued AS (
  SELECT p.model_version, p.seniority, p.total, p.fraction, p.h,
         (SELECT b.months FROM buckets b
          WHERE b.model_version = p.model_version AND b.seniority = p.seniority
            AND b.before <= floor(p.h) AND floor(p.h) < b.before + b.n) AS lo,
         (SELECT b.months FROM buckets b
          WHERE b.model_version = p.model_version AND b.seniority = p.seniority
            AND b.before <= ceil(p.h) AND ceil(p.h) < b.before + b.n) AS hi
  FROM points p
)
SELECT model_version, seniority, total::int AS n,
       max(lo + (h - floor(h)) * (hi - lo)) FILTER (WHERE fraction = 0.5) AS median_months,
       max(lo + (h - floor(h)) * (hi - lo)) FILTER (WHERE fraction = 0.25) AS p25_months,
       max(lo + (h - floor(h)) * (hi - lo)) FILTER (WHERE fraction = 0.75) AS p75_months
FROM valued
GROUP BY model_version, seniority, total;
--> statement-breakpoint

CREATE VIEW transition_stats AS
SELECT model_version, task, from_label, to_label, n::int AS n,
       n::float8 / sum(n) OVER (PARTITION BY model_version, task, from_label) AS share
FROM stat_transition_counts
WHERE n > 0;
--> statement-breakpoint

CREATE VIEW promotion_stats AS
SELECT model_version, profiles::int AS profiles, moves::int AS transitions, promotions::int AS promotions,
       step_downs::int AS step_downs,
       coalesce(promotions::float8 / nullif(moves, 0), 0) AS promotion_rate,
       promoted_profiles::float8 / profiles AS promoted_profile_share
FROM stat_career_counts
WHERE profiles > 0;
--> statement-breakpoint
-- Every model version that has statistics; is_latest marks the most recently registered one.
CREATE OR REPLACE VIEW analytics_model_versions AS
SELECT mv.version AS model_version, mv.kind, mv.created_at AS registered_at,
       ms.profiles, ms.positions,
       ms.seniority_fallback_rate, ms.department_fallback_rate,
       ms.seniority_mean_confidence, ms.department_mean_confidence,
       row_number() OVER (ORDER BY mv.created_at DESC, mv.version DESC) = 1 AS is_latest
FROM model_versions mv
JOIN model_stats ms ON ms.model_version = mv.version;
--> statement-breakpoint

-- Seniority mix per organization: one row per model version and organization, a share per level.
CREATE OR REPLACE VIEW analytics_seniority_mix_by_organization AS
SELECT model_version, scope_value AS organization, sum(n)::int AS positions,
       coalesce(sum(share) FILTER (WHERE label = 'Junior'), 0) AS junior,
       coalesce(sum(share) FILTER (WHERE label = 'Professional'), 0) AS professional,
       coalesce(sum(share) FILTER (WHERE label = 'Senior'), 0) AS senior,
       coalesce(sum(share) FILTER (WHERE label = 'Lead'), 0) AS lead,
       coalesce(sum(share) FILTER (WHERE label = 'Director'), 0) AS director,
       coalesce(sum(share) FILTER (WHERE label = 'Management'), 0) AS management
FROM distribution_stats
WHERE task = 'seniority' AND scope = 'organization'
GROUP BY model_version, scope_value;
--> statement-breakpoint

-- Department-to-department moves between consecutive positions (from = to: stayed).
CREATE OR REPLACE VIEW analytics_department_transitions AS
SELECT model_version, from_label AS from_department, to_label AS to_department, n AS moves, share
FROM transition_stats
WHERE task = 'department';
--> statement-breakpoint

-- Drift against the reference distribution and the fallback rate, per UTC ingestion day.
CREATE OR REPLACE VIEW analytics_drift_daily AS
SELECT d.model_version, d.task, d.scope_value AS day, d.n AS positions, d.psi, d.js, d.threshold, d.flagged,
       f.rate AS fallback_rate
FROM drift_stats d
LEFT JOIN fallback_rates f
  ON f.model_version = d.model_version AND f.task = d.task AND f.scope = d.scope AND f.scope_value = d.scope_value
WHERE d.scope = 'ingestion_day';
