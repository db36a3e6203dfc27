-- Time to Lead: months from the first position to the first one at Lead or above, per current
-- department ('(all)' first); reached_lead_share = profiles that got there at all.
SELECT current_department, profiles, reached_lead, reached_lead_share, median_months, p25_months, p75_months
FROM analytics_time_to_lead
WHERE model_version = coalesce(CAST(:model_version AS text),
                               (SELECT model_version FROM analytics_model_versions WHERE is_latest))
ORDER BY current_department <> '(all)', profiles DESC, current_department;
