-- The start_period scope is now the start year (sql/stats/class-counts.sql): month-level periods
-- split the same positions into about twelve times the counter rows, each too small to read a
-- share from, and upserting them was most of what statistics cost a batch. Counters kept under
-- the old rule would no longer match what a batch subtracts, so they are emptied here, and the
-- first migrate after this one rebuilds them from the stored rows (db.ts: afterMigrations).
TRUNCATE stat_class_counts, stat_scope_totals, stat_confidence_counts, stat_tenure_counts,
         stat_transition_counts, stat_career_counts, stat_lead_counts, stat_agreement_counts;
