-- Time to Lead and model agreement read counters (migration 0017, kept by src/store/statistics.ts)
-- instead of every career feature and every prediction: same columns, same values. Percentiles are
-- exact percentile_cont over the counts, as tenure_stats computes them (migration 0010). A
-- database stored before the counters gets them computed once after migrating (store/db.ts).
DROP VIEW IF EXISTS analytics_time_to_lead;
--> statement-breakpoint
DROP VIEW IF EXISTS analytics_model_agreement;
--> statement-breakpoint
CREATE VIEW analytics_time_to_lead AS
WITH counts AS (
  SELECT model_version, current_department, months, n FROM stat_lead_counts WHERE n > 0
  UNION ALL
  SELECT model_version, '(all)', months, sum(n) FROM stat_lead_counts WHERE n > 0 GROUP BY model_version, months
),
groups AS (
  SELECT model_version, current_department, sum(n) AS profiles, coalesce(sum(n) FILTER (WHERE months >= 0), 0) AS reached
  FROM counts
  GROUP BY model_version, current_department
),
buckets AS (
  SELECT model_version, current_department, months, n,
         sum(n) OVER (PARTITION BY model_version, current_department ORDER BY months) - n AS before
  FROM counts
  WHERE months >= 0
),
points AS (
  SELECT g.model_version, g.current_department, f.fraction, f.fraction * (g.reached - 1) AS h
  FROM groups g
  CROSS JOIN (VALUES (0.25::float8), (0.5::float8), (0.75::float8)) AS f(fraction)
  WHERE g.reached > 0
),
valued AS (
  SELECT p.model_version, p.current_department, p.fraction, p.h,
         (SELECT b.months FROM buckets b
          WHERE b.model_version = p.model_version AND b.current_department = p.current_department
            AND b.before <= floor(p.h) AND floor(p.h) < b.before + b.n) AS lo,
         (SELECT b.months FROM buckets b
          WHERE b.model_version = p.model_version AND b.current_department = p.current_department
            AND b.before <= ceil(p.h) AND ceil(p.h) < b.before + b.n) AS hi
  FROM points p
)
SELECT g.model_version, g.current_department,
       g.profiles::int AS profiles,
       g.reached::int AS reached_lead,
       g.reached::float8 / g.profiles AS reached_lead_share,
       max(v.lo + (v.h - floor(v.h)) * (v.hi - v.lo)) FILTER (WHERE v.fraction = 0.5) AS median_months,
       max(v.lo + (v.h - floor(v.h)) * (v.hi - v.lo)) FILTER (WHERE v.fraction = 0.25) AS p25_months,
       max(v.lo + (v.h - floor(v.h)) * (v.hi - v.lo)) FILTER (WHERE v.fraction = 0.75) AS p75_months
FROM groups g
LEFT JOIN valued v USING (model_version, current_department)
GROUP BY g.model_version, g.current_department, g.profiles, g.reached;
--> statement-breakpoint
CREATE VIEW analytics_model_agreement AS
SELECT other_version AS model_a, model_version AS model_b, positions::int AS positions,
       seniority_agree::float8 / positions AS seniority_agreement,
       department_agree::float8 / positions AS department_agreement
FROM stat_agreement_counts
WHERE positions > 0;
