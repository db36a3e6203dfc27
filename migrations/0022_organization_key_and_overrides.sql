ALTER TABLE "positions" ADD COLUMN "organization_key" text;--> statement-breakpoint
ALTER TABLE "stat_class_counts" ADD COLUMN "overrides" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "positions_organization_key_idx" ON "positions" USING btree ("organization_key");