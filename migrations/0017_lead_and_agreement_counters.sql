CREATE TABLE "stat_agreement_counts" (
	"model_version" text NOT NULL,
	"other_version" text NOT NULL,
	"positions" bigint NOT NULL,
	"seniority_agree" bigint NOT NULL,
	"department_agree" bigint NOT NULL,
	CONSTRAINT "stat_agreement_counts_model_version_other_version_pk" PRIMARY KEY("model_version","other_version")
);
--> statement-breakpoint
CREATE TABLE "stat_lead_counts" (
	"model_version" text NOT NULL,
	"current_department" text NOT NULL,
	"months" integer NOT NULL,
	"n" bigint NOT NULL,
	CONSTRAINT "stat_lead_counts_model_version_current_department_months_pk" PRIMARY KEY("model_version","current_department","months")
);
