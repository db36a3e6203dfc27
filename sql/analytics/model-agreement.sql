-- Agreement between model versions: for every pair of versions, the positions both scored and
-- how often their seniority and department agree (the backfill keeps old predictions for this).
SELECT model_a, model_b, positions, seniority_agreement, department_agreement
FROM analytics_model_agreement
WHERE CAST(:model_version AS text) IS NULL OR CAST(:model_version AS text) IN (model_a, model_b)
ORDER BY model_a, model_b;
