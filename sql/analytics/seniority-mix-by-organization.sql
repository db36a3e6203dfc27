-- Seniority mix by organization: the share of each level among the positions of the 25
-- organizations with the most positions (newest model version, or --model VERSION). The 25 come
-- from the index on the scope totals and their mix from the counters' primary key, so the cost
-- does not grow with the number of organizations. (The same columns as the view
-- analytics_seniority_mix_by_organization, which covers every organization; Postgres does not
-- push a filter on 25 organizations into that grouped view.) `organization` is the organization key
-- (case, punctuation and legal forms folded: "Daimler AG" and "DAIMLER" are one row), `name` one of
-- the names stored under it, as written.
WITH chosen AS (
  SELECT coalesce(CAST(:model_version AS text),
                  (SELECT model_version FROM analytics_model_versions WHERE is_latest)) AS model_version
),
top AS (
  -- (a scalar subquery, not a join: a known version lets the index deliver the order)
  SELECT t.model_version, t.scope_value AS organization, t.n
  FROM stat_scope_totals t
  WHERE t.model_version = (SELECT model_version FROM chosen)
    AND t.task = 'seniority' AND t.scope = 'organization' AND t.n > 0
  ORDER BY t.n DESC, t.scope_value
  LIMIT 25
)
SELECT top.organization,
       (SELECT po.organization FROM positions po WHERE po.organization_key = top.organization LIMIT 1) AS name,
       top.n::int AS positions,
       coalesce(sum(c.n) FILTER (WHERE c.label = 'Junior'), 0)::float8 / top.n AS junior,
       coalesce(sum(c.n) FILTER (WHERE c.label = 'Professional'), 0)::float8 / top.n AS professional,
       coalesce(sum(c.n) FILTER (WHERE c.label = 'Senior'), 0)::float8 / top.n AS senior,
       coalesce(sum(c.n) FILTER (WHERE c.label = 'Lead'), 0)::float8 / top.n AS lead,
       coalesce(sum(c.n) FILTER (WHERE c.label = 'Director'), 0)::float8 / top.n AS director,
       coalesce(sum(c.n) FILTER (WHERE c.label = 'Management'), 0)::float8 / top.n AS management
FROM top
JOIN stat_class_counts c
  ON c.model_version = top.model_version AND c.task = 'seniority' AND c.scope = 'organization'
 AND c.scope_value = top.organization
GROUP BY top.organization, top.n
ORDER BY top.n DESC, top.organization;
