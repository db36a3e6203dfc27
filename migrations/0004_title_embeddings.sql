CREATE TABLE "title_embeddings" (
	"encoder_version" text NOT NULL,
	"title_key" text NOT NULL,
	"embedding" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "title_embeddings_encoder_version_title_key_pk" PRIMARY KEY("encoder_version","title_key")
);
