-- Analytics views: the stable surface for analysts (and the read-only role cv_analytics). The named
-- queries in sql/analytics/ read them; README "SQL analytics" documents each column. Most read the
-- statistics tables, which the refresh keeps current; analytics_model_agreement and
-- analytics_current_predictions read the predictions themselves.

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

-- For every position, the prediction of the most recently registered model that scored it.
CREATE OR REPLACE VIEW analytics_current_predictions AS
SELECT DISTINCT ON (po.profile_id, po.position_index)
       po.profile_id, po.position_index, po.title, po.organization, po.start_date, po.end_date, po.status,
       pr.model_version, pr.seniority, pr.seniority_confidence, pr.seniority_source,
       pr.department, pr.department_confidence, pr.department_source, pr.scored_at
FROM positions po
JOIN predictions pr USING (profile_id, position_index)
JOIN model_versions mv ON mv.version = pr.model_version
ORDER BY po.profile_id, po.position_index, mv.created_at DESC, mv.version DESC;
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

-- Months from the first start to the first position at Lead or above, per current department
-- ('(all)' = every profile); profiles that never reached Lead count in profiles only.
CREATE OR REPLACE VIEW analytics_time_to_lead AS
SELECT model_version,
       CASE WHEN grouping(current_department) = 1 THEN '(all)' ELSE coalesce(current_department, '(none)') END AS current_department,
       count(*)::int AS profiles,
       count(months)::int AS reached_lead,
       count(months)::float8 / count(*) AS reached_lead_share,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY months) AS median_months,
       percentile_cont(0.25) WITHIN GROUP (ORDER BY months) AS p25_months,
       percentile_cont(0.75) WITHIN GROUP (ORDER BY months) AS p75_months
FROM (
  SELECT model_version, current_department, (features ->> 'monthsToFirstLead')::int AS months
  FROM career_features
) careers
GROUP BY GROUPING SETS ((model_version), (model_version, current_department));
--> statement-breakpoint

-- Drift against the reference distribution and the fallback rate, per UTC ingestion day.
CREATE OR REPLACE VIEW analytics_drift_daily AS
SELECT d.model_version, d.task, d.scope_value AS day, d.n AS positions, d.psi, d.js, d.threshold, d.flagged,
       f.rate AS fallback_rate
FROM drift_stats d
LEFT JOIN fallback_rates f
  ON f.model_version = d.model_version AND f.task = d.task AND f.scope = d.scope AND f.scope_value = d.scope_value
WHERE d.scope = 'ingestion_day';
--> statement-breakpoint

-- How often two model versions agree on the positions both scored.
CREATE OR REPLACE VIEW analytics_model_agreement AS
SELECT a.model_version AS model_a, b.model_version AS model_b, count(*)::int AS positions,
       avg((a.seniority = b.seniority)::int)::float8 AS seniority_agreement,
       avg((a.department = b.department)::int)::float8 AS department_agreement
FROM predictions a
JOIN predictions b ON b.profile_id = a.profile_id AND b.position_index = a.position_index AND b.model_version > a.model_version
GROUP BY a.model_version, b.model_version;
