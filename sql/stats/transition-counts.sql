-- What profiles contribute to stat_transition_counts: moves between consecutive positions of a
-- profile in chronological order (the stored chronological_rank, the order of the career
-- features). The diagonal (from = to) counts stays, so the department matrix's off-diagonal total
-- equals the sum of the profiles' departmentChanges.
-- (The profile filter is repeated on every joined table: Postgres does not carry `= ANY` across
-- a join, and without it would read the whole joined table.)
SELECT model_version, t.task, t.from_label, t.to_label, count(*)::bigint AS n
FROM (
  SELECT pr.model_version, pr.seniority, pr.department,
         lag(pr.seniority) OVER w AS prev_seniority,
         lag(pr.department) OVER w AS prev_department
  FROM predictions pr
  JOIN positions po USING (profile_id, position_index)
  WHERE (CAST(:profile_ids AS text[]) IS NULL OR pr.profile_id = ANY(CAST(:profile_ids AS text[])))
    AND (CAST(:model_version AS text) IS NULL OR pr.model_version = CAST(:model_version AS text))
  WINDOW w AS (PARTITION BY pr.model_version, pr.profile_id ORDER BY po.chronological_rank)
) ordered
CROSS JOIN LATERAL (VALUES
  ('seniority', prev_seniority, seniority),
  ('department', prev_department, department)
) AS t(task, from_label, to_label)
WHERE t.from_label IS NOT NULL
GROUP BY model_version, t.task, t.from_label, t.to_label;
