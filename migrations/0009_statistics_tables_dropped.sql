DROP TABLE "confidence_histograms" CASCADE;--> statement-breakpoint
DROP TABLE "distribution_stats" CASCADE;--> statement-breakpoint
DROP TABLE "fallback_rates" CASCADE;--> statement-breakpoint
DROP TABLE "model_stats" CASCADE;--> statement-breakpoint
DROP TABLE "promotion_stats" CASCADE;--> statement-breakpoint
DROP TABLE "tenure_stats" CASCADE;--> statement-breakpoint
DROP TABLE "transition_stats" CASCADE;