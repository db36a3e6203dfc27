CREATE TABLE "corrections" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"author" text NOT NULL,
	"title" text,
	"title_key" text,
	"profile_id" text,
	"position_index" integer,
	"seniority" text,
	"department" text,
	"undoes" bigint,
	CONSTRAINT "corrections_one_target" CHECK ("corrections"."undoes" is not null or (("corrections"."title_key" is not null) <> ("corrections"."profile_id" is not null and "corrections"."position_index" is not null)))
);
--> statement-breakpoint
ALTER TABLE "corrections" ADD CONSTRAINT "corrections_undoes_corrections_id_fk" FOREIGN KEY ("undoes") REFERENCES "public"."corrections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "corrections_title_key_idx" ON "corrections" USING btree ("title_key");--> statement-breakpoint
CREATE UNIQUE INDEX "corrections_undoes_uq" ON "corrections" USING btree ("undoes");