-- What profiles contribute to stat_agreement_counts: for every pair of versions that both scored a
-- position (model_version the greater name), the positions and how many of them agree per task.
-- A version's rebuild recomputes its pairs on either side. (The profile filter is repeated on
-- both sides of the join: Postgres does not carry `= ANY` across it.)
SELECT b.model_version, a.model_version AS other_version, count(*)::bigint AS positions,
       count(*) FILTER (WHERE a.seniority = b.seniority)::bigint AS seniority_agree,
       count(*) FILTER (WHERE a.department = b.department)::bigint AS department_agree
FROM predictions a
JOIN predictions b ON b.profile_id = a.profile_id AND b.position_index = a.position_index AND b.model_version > a.model_version
WHERE (CAST(:profile_ids AS text[]) IS NULL OR a.profile_id = ANY(CAST(:profile_ids AS text[])))
  AND (CAST(:model_version AS text) IS NULL OR CAST(:model_version AS text) IN (a.model_version, b.model_version))
GROUP BY 1, 2;
