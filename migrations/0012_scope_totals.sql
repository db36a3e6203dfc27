CREATE TABLE "stat_scope_totals" (
	"model_version" text NOT NULL,
	"task" text NOT NULL,
	"scope" text NOT NULL,
	"scope_value" text NOT NULL,
	"n" bigint NOT NULL,
	CONSTRAINT "stat_scope_totals_model_version_task_scope_scope_value_pk" PRIMARY KEY("model_version","task","scope","scope_value")
);
--> statement-breakpoint
CREATE INDEX "stat_scope_totals_largest_idx" ON "stat_scope_totals" USING btree ("model_version","task","scope","n" DESC NULLS LAST,"scope_value");