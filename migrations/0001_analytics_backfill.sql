CREATE TABLE "drift_stats" (
	"model_version" text NOT NULL,
	"task" text NOT NULL,
	"scope" text NOT NULL,
	"scope_value" text NOT NULL,
	"n" integer NOT NULL,
	"psi" double precision NOT NULL,
	"js" double precision NOT NULL,
	"threshold" double precision NOT NULL,
	"flagged" boolean NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "drift_stats_model_version_task_scope_scope_value_pk" PRIMARY KEY("model_version","task","scope","scope_value")
);
--> statement-breakpoint
CREATE TABLE "fallback_rates" (
	"model_version" text NOT NULL,
	"task" text NOT NULL,
	"scope" text NOT NULL,
	"scope_value" text NOT NULL,
	"n" integer NOT NULL,
	"fallbacks" integer NOT NULL,
	"rate" double precision NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fallback_rates_model_version_task_scope_scope_value_pk" PRIMARY KEY("model_version","task","scope","scope_value")
);
--> statement-breakpoint
CREATE TABLE "promotion_stats" (
	"model_version" text PRIMARY KEY NOT NULL,
	"profiles" integer NOT NULL,
	"transitions" integer NOT NULL,
	"promotions" integer NOT NULL,
	"step_downs" integer NOT NULL,
	"promotion_rate" double precision NOT NULL,
	"promoted_profile_share" double precision NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reference_distributions" (
	"model_version" text NOT NULL,
	"task" text NOT NULL,
	"label" text NOT NULL,
	"share" double precision NOT NULL,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reference_distributions_model_version_task_label_pk" PRIMARY KEY("model_version","task","label")
);
--> statement-breakpoint
CREATE TABLE "tenure_stats" (
	"model_version" text NOT NULL,
	"seniority" text NOT NULL,
	"n" integer NOT NULL,
	"median_months" double precision NOT NULL,
	"p25_months" double precision NOT NULL,
	"p75_months" double precision NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenure_stats_model_version_seniority_pk" PRIMARY KEY("model_version","seniority")
);
--> statement-breakpoint
CREATE TABLE "transition_stats" (
	"model_version" text NOT NULL,
	"task" text NOT NULL,
	"from_label" text NOT NULL,
	"to_label" text NOT NULL,
	"n" integer NOT NULL,
	"share" double precision NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "transition_stats_model_version_task_from_label_to_label_pk" PRIMARY KEY("model_version","task","from_label","to_label")
);
--> statement-breakpoint
ALTER TABLE "backfill_runs" ADD COLUMN "source_model_version" text;--> statement-breakpoint
ALTER TABLE "backfill_runs" ADD COLUMN "since" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "backfill_runs" ADD COLUMN "trigger" text DEFAULT 'cli' NOT NULL;--> statement-breakpoint
ALTER TABLE "backfill_runs" ADD COLUMN "rows_total" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "backfill_runs" ADD COLUMN "profiles_scored" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "backfill_runs" ADD COLUMN "error" text;--> statement-breakpoint
ALTER TABLE "backfill_runs" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;