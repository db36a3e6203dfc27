CREATE TABLE "consumer_partitions" (
	"group_id" text NOT NULL,
	"topic" text NOT NULL,
	"partition" integer NOT NULL,
	"committed_offset" bigint,
	"unstored_ranges" integer NOT NULL,
	"oldest_unstored_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "consumer_partitions_group_id_topic_partition_pk" PRIMARY KEY("group_id","topic","partition")
);
--> statement-breakpoint
CREATE TABLE "stored_offsets" (
	"topic" text NOT NULL,
	"partition" integer NOT NULL,
	"first_offset" bigint NOT NULL,
	"last_offset" bigint NOT NULL,
	"stored_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stored_offsets_topic_partition_first_offset_last_offset_pk" PRIMARY KEY("topic","partition","first_offset","last_offset")
);
