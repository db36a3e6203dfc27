-- Fills the month indexes and chronological ranks of positions stored before 0006. From here on the
-- writer computes them in TypeScript (src/features/months.ts); this one-time conversion restates
-- those rules: YYYY-MM or a bare YYYY (January as a start, December as an end), anything else
-- unreadable; by start month, undated last, ties in reverse input order.
UPDATE positions SET
  start_month = CASE WHEN btrim(start_date) ~ '^[0-9]{4}(-(0[1-9]|1[0-2]))?$'
    THEN substr(btrim(start_date), 1, 4)::int * 12 + coalesce(nullif(substr(btrim(start_date), 6, 2), '')::int, 1) - 1 END,
  end_month = CASE WHEN btrim(end_date) ~ '^[0-9]{4}(-(0[1-9]|1[0-2]))?$'
    THEN substr(btrim(end_date), 1, 4)::int * 12 + coalesce(nullif(substr(btrim(end_date), 6, 2), '')::int, 12) - 1 END
WHERE chronological_rank IS NULL;
--> statement-breakpoint
UPDATE positions po SET chronological_rank = ranked.rank
FROM (
  SELECT profile_id, position_index,
         (row_number() OVER (PARTITION BY profile_id ORDER BY start_month NULLS LAST, position_index DESC) - 1)::int AS rank
  FROM positions
) ranked
WHERE po.chronological_rank IS NULL
  AND po.profile_id = ranked.profile_id AND po.position_index = ranked.position_index;
