-- The seniority mix per organization straight from the counters (shares as counts over the
-- organization's total) instead of through distribution_stats' window: a filter on one
-- organization then reaches the counters' primary key, so the named query can compute the mix of
-- its 25 largest organizations alone (sql/analytics/seniority-mix-by-organization.sql).
CREATE OR REPLACE VIEW analytics_seniority_mix_by_organization AS
SELECT model_version, scope_value AS organization, sum(n)::int AS positions,
       coalesce(sum(n) FILTER (WHERE label = 'Junior'), 0)::float8 / sum(n) AS junior,
       coalesce(sum(n) FILTER (WHERE label = 'Professional'), 0)::float8 / sum(n) AS professional,
       coalesce(sum(n) FILTER (WHERE label = 'Senior'), 0)::float8 / sum(n) AS senior,
       coalesce(sum(n) FILTER (WHERE label = 'Lead'), 0)::float8 / sum(n) AS lead,
       coalesce(sum(n) FILTER (WHERE label = 'Director'), 0)::float8 / sum(n) AS director,
       coalesce(sum(n) FILTER (WHERE label = 'Management'), 0)::float8 / sum(n) AS management
FROM stat_class_counts
WHERE task = 'seniority' AND scope = 'organization' AND n > 0
GROUP BY model_version, scope_value;
