CREATE TABLE "backfill_runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"target_model_version" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"cursor" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"rows_scored" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
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
);
--> statement-breakpoint
CREATE TABLE "confidence_histograms" (
	"model_version" text NOT NULL,
	"task" text NOT NULL,
	"bucket" integer NOT NULL,
	"n" integer NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "confidence_histograms_model_version_task_bucket_pk" PRIMARY KEY("model_version","task","bucket")
);
--> statement-breakpoint
CREATE TABLE "dead_letters" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"source_ref" text NOT NULL,
	"message_key" text,
	"reason" text NOT NULL,
	"payload" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dead_letters_source_ref_uq" UNIQUE("source","source_ref")
);
--> statement-breakpoint
CREATE TABLE "distribution_stats" (
	"model_version" text NOT NULL,
	"task" text NOT NULL,
	"scope" text NOT NULL,
	"scope_value" text NOT NULL,
	"label" text NOT NULL,
	"n" integer NOT NULL,
	"share" double precision NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "distribution_stats_model_version_task_scope_scope_value_label_pk" PRIMARY KEY("model_version","task","scope","scope_value","label")
);
--> statement-breakpoint
CREATE TABLE "model_stats" (
	"model_version" text PRIMARY KEY NOT NULL,
	"profiles" integer NOT NULL,
	"positions" integer NOT NULL,
	"seniority_fallback_rate" double precision NOT NULL,
	"department_fallback_rate" double precision NOT NULL,
	"seniority_mean_confidence" double precision NOT NULL,
	"department_mean_confidence" double precision NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_versions" (
	"version" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"manifest" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "positions" (
	"profile_id" text NOT NULL,
	"position_index" integer NOT NULL,
	"title" text NOT NULL,
	"normalized_title" text NOT NULL,
	"standardized_title" text NOT NULL,
	"language" text NOT NULL,
	"organization" text,
	"linkedin" text,
	"start_date" text,
	"end_date" text,
	"status" text,
	CONSTRAINT "positions_profile_id_position_index_pk" PRIMARY KEY("profile_id","position_index")
);
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
);
--> statement-breakpoint
CREATE TABLE "profiles" (
	"profile_id" text PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"content_hash" text NOT NULL,
	"position_count" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "career_features" ADD CONSTRAINT "career_features_profile_id_profiles_profile_id_fk" FOREIGN KEY ("profile_id") REFERENCES "public"."profiles"("profile_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "career_features" ADD CONSTRAINT "career_features_model_version_model_versions_version_fk" FOREIGN KEY ("model_version") REFERENCES "public"."model_versions"("version") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "positions" ADD CONSTRAINT "positions_profile_id_profiles_profile_id_fk" FOREIGN KEY ("profile_id") REFERENCES "public"."profiles"("profile_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "predictions" ADD CONSTRAINT "predictions_model_version_model_versions_version_fk" FOREIGN KEY ("model_version") REFERENCES "public"."model_versions"("version") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "predictions" ADD CONSTRAINT "predictions_profile_id_position_index_positions_profile_id_position_index_fk" FOREIGN KEY ("profile_id","position_index") REFERENCES "public"."positions"("profile_id","position_index") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "positions_organization_idx" ON "positions" USING btree ("organization");--> statement-breakpoint
CREATE INDEX "predictions_model_version_idx" ON "predictions" USING btree ("model_version");