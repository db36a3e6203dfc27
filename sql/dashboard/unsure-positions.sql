-- Positions the keyword fallback decided for either task, least confident first.
SELECT po.title, po.organization, pr.seniority, pr.seniority_confidence, pr.department, pr.department_confidence
FROM predictions pr
JOIN positions po USING (profile_id, position_index)
WHERE pr.model_version = :model_version AND (pr.seniority_source = 'fallback' OR pr.department_source = 'fallback')
ORDER BY least(pr.seniority_confidence, pr.department_confidence), po.title, pr.profile_id, pr.position_index
LIMIT :limit;
