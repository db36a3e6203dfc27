-- cv_analytics: a read-only role for analysts (SELECT on every table and view, nothing else).
-- It cannot log in by itself: grant it to a login role, e.g.
--   CREATE ROLE alice LOGIN PASSWORD '…' IN ROLE cv_analytics;
-- Roles belong to the whole server, not to one database, so another database on the same server
-- may have created it already (or be creating it right now): hence IF NOT EXISTS plus the
-- duplicate_object handler. PGlite supports roles too, so this runs unchanged there.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cv_analytics') THEN
    CREATE ROLE cv_analytics NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO cv_analytics;
--> statement-breakpoint
GRANT SELECT ON ALL TABLES IN SCHEMA public TO cv_analytics;
--> statement-breakpoint
-- Tables and views that later migrations create (as the same migrating user) are readable too.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO cv_analytics;
