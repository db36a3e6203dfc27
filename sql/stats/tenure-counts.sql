-- What profiles contribute to stat_tenure_counts: completed positions (start and end known, end
-- not before start) per predicted seniority and duration in months, both months counted. An
-- ongoing position's tenure is still growing, and mixing it in would pull every median down.
-- (The profile filter is repeated on every joined table: Postgres does not carry `= ANY` across
-- a join, and without it would read the whole joined table.)
SELECT pr.model_version, pr.seniority, po.end_month - po.start_month + 1 AS months, count(*)::bigint AS n
FROM predictions pr
JOIN positions po USING (profile_id, position_index)
WHERE po.start_month IS NOT NULL AND po.end_month >= po.start_month
  AND (CAST(:profile_ids AS text[]) IS NULL OR pr.profile_id = ANY(CAST(:profile_ids AS text[])))
  AND (CAST(:model_version AS text) IS NULL OR pr.model_version = CAST(:model_version AS text))
GROUP BY pr.model_version, pr.seniority, 3;
