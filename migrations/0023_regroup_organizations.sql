-- The organization scope of stat_class_counts now groups by the organization key (0022; folded case,
-- punctuation and legal forms), and the class counts count overrides apart. Counters kept under the
-- old rule would not match what a batch subtracts, so they are emptied here; the first migrate after
-- this one fills the keys of stored positions and rebuilds the counters (db.ts: afterMigrations).
TRUNCATE stat_class_counts, stat_scope_totals, stat_confidence_counts, stat_tenure_counts,
         stat_transition_counts, stat_career_counts, stat_lead_counts, stat_agreement_counts;
