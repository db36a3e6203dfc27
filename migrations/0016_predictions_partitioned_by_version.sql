-- Predictions and career features are partitioned by model version (LIST, one partition per
-- version), so a backfill writes its new version into its own table and retiring a version is a
-- DETACH and a DROP (`cv-pipeline models retire`), not a DELETE of millions of rows; reads of one
-- version are pruned to its partition. Partitions are created by cv_ensure_version_partitions when
-- a version is registered (store/write-results.ts registerModelVersion), before any of its rows;
-- there is no default partition, so a row of an unregistered version fails loudly.
--
-- Existing rows move to the new tables here, once. The three views reading these tables are
-- dropped first and re-created unchanged at the end (their text as in 0002).
CREATE OR REPLACE FUNCTION cv_version_partition_name(parent text, version text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  -- Readable and unique within Postgres' 63-byte names: a slug of the version plus a hash of it.
  SELECT parent || '_' || left(regexp_replace(lower(version), '[^a-z0-9]+', '_', 'g'), 28) || '_' || left(md5(version), 8)
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION cv_ensure_version_partitions(version text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  parent text;
  part text;
BEGIN
  FOREACH parent IN ARRAY ARRAY['predictions', 'career_features'] LOOP
    part := cv_version_partition_name(parent, version);
    IF to_regclass(quote_ident(part)) IS NULL THEN
      -- Workers register the same version concurrently at start: the one that loses the race
      -- finds the table made (this check alone may not see it yet) and leaves it be.
      BEGIN
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES IN (%L)', part, parent, version);
      EXCEPTION WHEN duplicate_table OR unique_violation THEN
        NULL;
      END;
    END IF;
  END LOOP;
END
$$;
--> statement-breakpoint
DROP VIEW IF EXISTS analytics_current_predictions;
--> statement-breakpoint
DROP VIEW IF EXISTS analytics_model_agreement;
--> statement-breakpoint
DROP VIEW IF EXISTS analytics_time_to_lead;
--> statement-breakpoint
ALTER TABLE "predictions" RENAME TO "predictions_unpartitioned";
--> statement-breakpoint
ALTER TABLE "predictions_unpartitioned" RENAME CONSTRAINT "predictions_profile_id_position_index_model_version_pk" TO "predictions_unpartitioned_pk";
--> statement-breakpoint
DROP INDEX IF EXISTS "predictions_fallback_confidence_idx";
--> statement-breakpoint
ALTER TABLE "career_features" RENAME TO "career_features_unpartitioned";
--> statement-breakpoint
ALTER TABLE "career_features_unpartitioned" RENAME CONSTRAINT "career_features_profile_id_model_version_pk" TO "career_features_unpartitioned_pk";
--> statement-breakpoint
CREATE TABLE "predictions" (
	"profile_id" text NOT NULL,
	"position_index" integer NOT NULL,
	"model_version" text NOT NULL,
	"seniority" text NOT NULL,
	"seniority_confidence" real NOT NULL,
	"seniority_source" text NOT NULL,
	"department" text NOT NULL,
	"department_confidence" real NOT NULL,
	"department_source" text NOT NULL,
	"explanation" jsonb NOT NULL,
	"scored_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "predictions_profile_id_position_index_model_version_pk" PRIMARY KEY("profile_id","position_index","model_version")
) PARTITION BY LIST ("model_version");
--> statement-breakpoint
ALTER TABLE "predictions" ADD CONSTRAINT "predictions_model_version_model_versions_version_fk" FOREIGN KEY ("model_version") REFERENCES "public"."model_versions"("version") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "predictions" ADD CONSTRAINT "predictions_profile_id_position_index_positions_profile_id_position_index_fk" FOREIGN KEY ("profile_id","position_index") REFERENCES "public"."positions"("profile_id","position_index") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
CREATE INDEX "predictions_fallback_confidence_idx" ON "predictions" USING btree ("model_version",least("seniority_confidence", "department_confidence")) WHERE "predictions"."seniority_source" = 'fallback' or "predictions"."department_source" = 'fallback';
--> statement-breakpoint
CREATE TABLE "career_features" (
	"profile_id" text NOT NULL,
	"model_version" text NOT NULL,
	"current_position_index" integer,
	"current_seniority" text,
	"current_department" text,
	"total_experience_months" integer,
	"promotions" integer,
	"seniority_slope" double precision,
	"features" jsonb NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "career_features_profile_id_model_version_pk" PRIMARY KEY("profile_id","model_version")
) PARTITION BY LIST ("model_version");
--> statement-breakpoint
ALTER TABLE "career_features" ADD CONSTRAINT "career_features_profile_id_profiles_profile_id_fk" FOREIGN KEY ("profile_id") REFERENCES "public"."profiles"("profile_id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "career_features" ADD CONSTRAINT "career_features_model_version_model_versions_version_fk" FOREIGN KEY ("model_version") REFERENCES "public"."model_versions"("version") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
SELECT cv_ensure_version_partitions(version) FROM model_versions;
--> statement-breakpoint
INSERT INTO "predictions" SELECT * FROM "predictions_unpartitioned";
--> statement-breakpoint
INSERT INTO "career_features" SELECT * FROM "career_features_unpartitioned";
--> statement-breakpoint
DROP TABLE "predictions_unpartitioned";
--> statement-breakpoint
DROP TABLE "career_features_unpartitioned";
--> statement-breakpoint
CREATE VIEW analytics_current_predictions AS
SELECT DISTINCT ON (po.profile_id, po.position_index)
       po.profile_id, po.position_index, po.title, po.organization, po.start_date, po.end_date, po.status,
       pr.model_version, pr.seniority, pr.seniority_confidence, pr.seniority_source,
       pr.department, pr.department_confidence, pr.department_source, pr.scored_at
FROM positions po
JOIN predictions pr USING (profile_id, position_index)
JOIN model_versions mv ON mv.version = pr.model_version
ORDER BY po.profile_id, po.position_index, mv.created_at DESC, mv.version DESC;
--> statement-breakpoint
CREATE VIEW analytics_model_agreement AS
SELECT a.model_version AS model_a, b.model_version AS model_b, count(*)::int AS positions,
       avg((a.seniority = b.seniority)::int)::float8 AS seniority_agreement,
       avg((a.department = b.department)::int)::float8 AS department_agreement
FROM predictions a
JOIN predictions b ON b.profile_id = a.profile_id AND b.position_index = a.position_index AND b.model_version > a.model_version
GROUP BY a.model_version, b.model_version;
--> statement-breakpoint
CREATE VIEW analytics_time_to_lead AS
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
