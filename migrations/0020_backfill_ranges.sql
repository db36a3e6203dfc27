CREATE TABLE "backfill_ranges" (
	"run_id" bigint NOT NULL,
	"range_index" integer NOT NULL,
	"after_id" text NOT NULL,
	"until_id" text,
	"cursor" text NOT NULL,
	"rows_scored" integer DEFAULT 0 NOT NULL,
	"profiles_scored" integer DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "backfill_ranges_run_id_range_index_pk" PRIMARY KEY("run_id","range_index")
);
--> statement-breakpoint
ALTER TABLE "backfill_ranges" ADD CONSTRAINT "backfill_ranges_run_id_backfill_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."backfill_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- A run from before ranges becomes one range over every profile, resuming at its cursor.
INSERT INTO "backfill_ranges" ("run_id", "range_index", "after_id", "until_id", "cursor", "rows_scored", "profiles_scored", "status")
SELECT "id", 0, '', NULL, coalesce("cursor" ->> 'profileId', ''), "rows_scored", "profiles_scored",
       CASE WHEN "status" = 'done' THEN 'done' ELSE 'pending' END
FROM "backfill_runs";--> statement-breakpoint
ALTER TABLE "backfill_runs" DROP COLUMN "cursor";