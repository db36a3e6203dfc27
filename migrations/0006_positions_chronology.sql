CREATE TABLE "labels" (
	"task" text NOT NULL,
	"label" text NOT NULL,
	"ordinal" integer NOT NULL,
	CONSTRAINT "labels_task_label_pk" PRIMARY KEY("task","label")
);
--> statement-breakpoint
ALTER TABLE "positions" ADD COLUMN "start_month" integer;--> statement-breakpoint
ALTER TABLE "positions" ADD COLUMN "end_month" integer;--> statement-breakpoint
ALTER TABLE "positions" ADD COLUMN "chronological_rank" integer;