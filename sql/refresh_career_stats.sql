-- Career aggregates of one model version: tenure per seniority level, transitions between
-- consecutive positions, promotion rate. Runs in the refresh transaction of
-- src/store/distribution-stats.ts, which binds :model_version.
--
-- Month indexes and the chronological rank are the positions' stored columns, computed by
-- src/features/months.ts when the row was written: SQL repeats no date rule.

-- Tenure of completed positions only (start and end known, end not before start): an ongoing
-- position's tenure is still growing, and mixing it in would pull every median down.
DELETE FROM tenure_stats WHERE model_version = :model_version;

INSERT INTO tenure_stats (model_version, seniority, n, median_months, p25_months, p75_months)
SELECT :model_version, seniority, count(*)::int,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY months),
       percentile_cont(0.25) WITHIN GROUP (ORDER BY months),
       percentile_cont(0.75) WITHIN GROUP (ORDER BY months)
FROM (
  SELECT pr.seniority, po.end_month - po.start_month + 1 AS months
  FROM predictions pr
  JOIN positions po USING (profile_id, position_index)
  WHERE pr.model_version = :model_version AND po.start_month IS NOT NULL AND po.end_month IS NOT NULL
) spans
WHERE months >= 1
GROUP BY seniority;

-- Moves between consecutive positions of a profile in chronological order, the order career
-- features use (the stored chronological_rank). The
-- diagonal (from = to) counts moves that stayed in the same class, so the off-diagonal total of
-- the department matrix equals the sum of the profiles' departmentChanges.
DELETE FROM transition_stats WHERE model_version = :model_version;

INSERT INTO transition_stats (model_version, task, from_label, to_label, n, share)
SELECT :model_version, task, from_label, to_label, count(*)::int,
       count(*)::float8 / sum(count(*)) OVER (PARTITION BY task, from_label)
FROM (
  SELECT pr.profile_id, pr.seniority, pr.department,
         lag(pr.seniority) OVER w AS prev_seniority,
         lag(pr.department) OVER w AS prev_department
  FROM predictions pr
  JOIN positions po USING (profile_id, position_index)
  WHERE pr.model_version = :model_version
  WINDOW w AS (
    PARTITION BY pr.profile_id
    ORDER BY po.chronological_rank
  )
) ordered
CROSS JOIN LATERAL (VALUES
  ('seniority', prev_seniority, seniority),
  ('department', prev_department, department)
) AS t(task, from_label, to_label)
WHERE from_label IS NOT NULL
GROUP BY task, from_label, to_label;

-- Promotions as career features count them (a level increase between consecutive positions).
DELETE FROM promotion_stats WHERE model_version = :model_version;

INSERT INTO promotion_stats (model_version, profiles, transitions, promotions, step_downs,
                             promotion_rate, promoted_profile_share)
SELECT :model_version, count(*)::int, sum(moves)::int, sum(promotions)::int, sum(step_downs)::int,
       coalesce(sum(promotions)::float8 / nullif(sum(moves), 0), 0),
       avg((promotions > 0)::int)::float8
FROM (
  SELECT greatest(jsonb_array_length(features -> 'levels') - 1, 0) AS moves,
         coalesce((features ->> 'promotions')::int, 0) AS promotions,
         coalesce((features ->> 'stepDowns')::int, 0) AS step_downs
  FROM career_features
  WHERE model_version = :model_version
) careers
HAVING count(*) > 0;
