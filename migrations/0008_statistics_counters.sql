CREATE TABLE "stat_career_counts" (
	"model_version" text PRIMARY KEY NOT NULL,
	"profiles" bigint NOT NULL,
	"moves" bigint NOT NULL,
	"promotions" bigint NOT NULL,
	"step_downs" bigint NOT NULL,
	"promoted_profiles" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stat_class_counts" (
	"model_version" text NOT NULL,
	"task" text NOT NULL,
	"scope" text NOT NULL,
	"scope_value" text NOT NULL,
	"label" text NOT NULL,
	"n" bigint NOT NULL,
	"fallbacks" bigint NOT NULL,
	"confidence_micros" bigint NOT NULL,
	CONSTRAINT "stat_class_counts_model_version_task_scope_scope_value_label_pk" PRIMARY KEY("model_version","task","scope","scope_value","label")
);
--> statement-breakpoint
CREATE TABLE "stat_confidence_counts" (
	"model_version" text NOT NULL,
	"task" text NOT NULL,
	"bucket" integer NOT NULL,
	"n" bigint NOT NULL,
	CONSTRAINT "stat_confidence_counts_model_version_task_bucket_pk" PRIMARY KEY("model_version","task","bucket")
);
--> statement-breakpoint
CREATE TABLE "stat_tenure_counts" (
	"model_version" text NOT NULL,
	"seniority" text NOT NULL,
	"months" integer NOT NULL,
	"n" bigint NOT NULL,
	CONSTRAINT "stat_tenure_counts_model_version_seniority_months_pk" PRIMARY KEY("model_version","seniority","months")
);
--> statement-breakpoint
CREATE TABLE "stat_transition_counts" (
	"model_version" text NOT NULL,
	"task" text NOT NULL,
	"from_label" text NOT NULL,
	"to_label" text NOT NULL,
	"n" bigint NOT NULL,
	CONSTRAINT "stat_transition_counts_model_version_task_from_label_to_label_pk" PRIMARY KEY("model_version","task","from_label","to_label")
);
