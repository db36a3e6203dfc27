/**
 * Postgres schema (drizzle). Migrations in `migrations/` are generated from this file with
 * `npm run db:generate`; never edit a generated migration by hand.
 *
 * Idempotency lives in the primary keys: a position is (profile_id, position_index), a prediction
 * is (profile_id, position_index, model_version), so re-delivered input upserts instead of adding.
 */
import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  doublePrecision,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  pgView,
  primaryKey,
  real,
  text,
  timestamp,
  unique,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

/** Every model that scored something: its manifest says what it is and how it measured. */
export const modelVersions = pgTable('model_versions', {
  version: text('version').primaryKey(),
  kind: text('kind').notNull(),
  manifest: jsonb('manifest').notNull(),
  createdAt: createdAt(),
});

/**
 * The classes of both tasks in their order (domain/labels.ts), written at every migration so that
 * SQL sorts levels by joining this table instead of repeating the list.
 */
export const labels = pgTable(
  'labels',
  {
    task: text('task').notNull(),
    label: text('label').notNull(),
    /** 1-based; for seniority, the level on the career ladder. */
    ordinal: integer('ordinal').notNull(),
  },
  (t) => [primaryKey({ columns: [t.task, t.label] })],
);

export const profiles = pgTable('profiles', {
  profileId: text('profile_id').primaryKey(),
  /** Where the profile came from: `file:<name>` or `kafka:<topic>`. */
  source: text('source').notNull(),
  /** sha256 of the canonical positions; a change invalidates stored positions and predictions. */
  contentHash: text('content_hash').notNull(),
  positionCount: integer('position_count').notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const positions = pgTable(
  'positions',
  {
    profileId: text('profile_id')
      .notNull()
      .references(() => profiles.profileId, { onDelete: 'cascade' }),
    positionIndex: integer('position_index').notNull(),
    title: text('title').notNull(),
    normalizedTitle: text('normalized_title').notNull(),
    standardizedTitle: text('standardized_title').notNull(),
    language: text('language').notNull(),
    organization: text('organization'),
    /** The organization as grouped (text/organization.ts: case, punctuation and legal forms folded). */
    organizationKey: text('organization_key'),
    linkedin: text('linkedin'),
    /** `YYYY-MM` or a bare `YYYY`, as given. */
    startDate: text('start_date'),
    endDate: text('end_date'),
    status: text('status'),
    /**
     * The dates as month indexes and the place in the profile's chronological order, computed by
     * features/months.ts when the row is written, so SQL never repeats the date rules.
     */
    startMonth: integer('start_month'),
    endMonth: integer('end_month'),
    chronologicalRank: integer('chronological_rank'),
  },
  (t) => [
    primaryKey({ columns: [t.profileId, t.positionIndex] }),
    index('positions_organization_idx').on(t.organization),
    index('positions_organization_key_idx').on(t.organizationKey),
  ],
);

export const predictions = pgTable(
  'predictions',
  {
    profileId: text('profile_id').notNull(),
    positionIndex: integer('position_index').notNull(),
    modelVersion: text('model_version')
      .notNull()
      .references(() => modelVersions.version),
    seniority: text('seniority').notNull(),
    seniorityConfidence: real('seniority_confidence').notNull(),
    senioritySource: text('seniority_source').notNull(),
    department: text('department').notNull(),
    departmentConfidence: real('department_confidence').notNull(),
    departmentSource: text('department_source').notNull(),
    /** Why: matched rules, per-member probabilities, neighbours. */
    explanation: jsonb('explanation').notNull(),
    scoredAt: timestamp('scored_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.profileId, t.positionIndex, t.modelVersion] }),
    foreignKey({
      columns: [t.profileId, t.positionIndex],
      foreignColumns: [positions.profileId, positions.positionIndex],
    }).onDelete('cascade'),
    // The page's least confident fallback decisions (sql/dashboard/unsure-positions.sql), read in
    // order from a small partial index instead of sorting every prediction of the version.
    index('predictions_fallback_confidence_idx')
      .on(t.modelVersion, sql`least(${t.seniorityConfidence}, ${t.departmentConfidence})`)
      .where(sql`${t.senioritySource} = 'fallback' or ${t.departmentSource} = 'fallback'`),
    // The workbench explorer filtered by both classes: that pair's rows in key order, so a page of a
    // rare pair reads its own rows instead of the version's up to the 50th match.
    index('predictions_classes_idx').on(t.seniority, t.department, t.profileId, t.positionIndex),
  ],
);

export const careerFeatures = pgTable(
  'career_features',
  {
    profileId: text('profile_id')
      .notNull()
      .references(() => profiles.profileId, { onDelete: 'cascade' }),
    modelVersion: text('model_version')
      .notNull()
      .references(() => modelVersions.version),
    currentPositionIndex: integer('current_position_index'),
    currentSeniority: text('current_seniority'),
    currentDepartment: text('current_department'),
    totalExperienceMonths: integer('total_experience_months'),
    promotions: integer('promotions'),
    senioritySlope: doublePrecision('seniority_slope'),
    /** Every feature of `CareerFeatures`, documented in src/features/career.ts. */
    features: jsonb('features').notNull(),
    /** The month the features are computed as of (null: stored before migration 0024; its computed_at month is used). */
    asOf: text('as_of'),
    computedAt: timestamp('computed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.profileId, t.modelVersion] })],
);

/*
 * Statistics counters: additive, kept current in the transaction that stores a batch
 * (src/store/statistics.ts adds what the batch's profiles contribute now and subtracts what they
 * contributed before), so a re-run, a re-delivery or a re-scoring never counts twice. Shares,
 * rates, means and percentiles are computed when read, by the views of migration 0010.
 */

/** Positions per (version, task, scope, scope value, predicted label), with fallbacks, overrides (analysts' corrections) and summed confidence. */
export const statClassCounts = pgTable(
  'stat_class_counts',
  {
    modelVersion: text('model_version').notNull(),
    task: text('task').notNull(),
    /** `overall`, `organization` (the organization key), `start_period` (start year), `ingestion_day`. */
    scope: text('scope').notNull(),
    scopeValue: text('scope_value').notNull(),
    label: text('label').notNull(),
    n: bigint('n', { mode: 'number' }).notNull(),
    fallbacks: bigint('fallbacks', { mode: 'number' }).notNull(),
    overrides: bigint('overrides', { mode: 'number' }).notNull().default(0),
    /** Sum of round(confidence * 1e6): integers, so adding and subtracting stay exact. */
    confidenceMicros: bigint('confidence_micros', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.modelVersion, t.task, t.scope, t.scopeValue, t.label] }),
    // A version's rows of one scope ('overall', a day) without reading its organizations and periods.
    index('stat_class_counts_scope_idx').on(t.modelVersion, t.scope, t.task, t.scopeValue),
  ],
);

/**
 * Positions per (version, task, scope, scope value): stat_class_counts summed over labels, kept with
 * it, so "the organizations with the most positions" is an index range, not a sort of every one.
 */
export const statScopeTotals = pgTable(
  'stat_scope_totals',
  {
    modelVersion: text('model_version').notNull(),
    task: text('task').notNull(),
    scope: text('scope').notNull(),
    scopeValue: text('scope_value').notNull(),
    n: bigint('n', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.modelVersion, t.task, t.scope, t.scopeValue] }),
    index('stat_scope_totals_largest_idx').on(t.modelVersion, t.task, t.scope, t.n.desc(), t.scopeValue),
  ],
);

/** Positions per confidence bucket (ten of width 0.1; bucket 9 includes 1.0). */
export const statConfidenceCounts = pgTable(
  'stat_confidence_counts',
  {
    modelVersion: text('model_version').notNull(),
    task: text('task').notNull(),
    bucket: integer('bucket').notNull(),
    n: bigint('n', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelVersion, t.task, t.bucket] })],
);

/** Completed positions per (version, predicted seniority, duration in months): exact percentiles on read. */
export const statTenureCounts = pgTable(
  'stat_tenure_counts',
  {
    modelVersion: text('model_version').notNull(),
    seniority: text('seniority').notNull(),
    months: integer('months').notNull(),
    n: bigint('n', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelVersion, t.seniority, t.months] })],
);

/** Moves between chronologically consecutive positions of a profile, per task: from → to. */
export const statTransitionCounts = pgTable(
  'stat_transition_counts',
  {
    modelVersion: text('model_version').notNull(),
    task: text('task').notNull(),
    fromLabel: text('from_label').notNull(),
    toLabel: text('to_label').notNull(),
    n: bigint('n', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelVersion, t.task, t.fromLabel, t.toLabel] })],
);

/**
 * Profiles per (version, current department, months from the first start to the first position at
 * Lead or above): exact time-to-Lead percentiles on read. `months` is -1 for profiles that never
 * reached Lead (a key column cannot be null); `current_department` is '(none)' where there is none.
 */
export const statLeadCounts = pgTable(
  'stat_lead_counts',
  {
    modelVersion: text('model_version').notNull(),
    currentDepartment: text('current_department').notNull(),
    months: integer('months').notNull(),
    n: bigint('n', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelVersion, t.currentDepartment, t.months] })],
);

/**
 * Positions scored by two versions (`model_version` the greater name, `other_version` the lesser,
 * as analytics_model_agreement pairs them) and how many of them the two agree on, per task.
 */
export const statAgreementCounts = pgTable(
  'stat_agreement_counts',
  {
    modelVersion: text('model_version').notNull(),
    otherVersion: text('other_version').notNull(),
    positions: bigint('positions', { mode: 'number' }).notNull(),
    seniorityAgree: bigint('seniority_agree', { mode: 'number' }).notNull(),
    departmentAgree: bigint('department_agree', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelVersion, t.otherVersion] })],
);

/** Per version: profiles scored, moves, promotions and step-downs from their career features. */
export const statCareerCounts = pgTable('stat_career_counts', {
  modelVersion: text('model_version').primaryKey(),
  profiles: bigint('profiles', { mode: 'number' }).notNull(),
  moves: bigint('moves', { mode: 'number' }).notNull(),
  promotions: bigint('promotions', { mode: 'number' }).notNull(),
  stepDowns: bigint('step_downs', { mode: 'number' }).notNull(),
  promotedProfiles: bigint('promoted_profiles', { mode: 'number' }).notNull(),
});

/*
 * The statistics as analysts and the page read them: views over the counters (migration 0010),
 * declared here for typed reads only (`.existing()`: drizzle-kit leaves them to that migration).
 */

/** Class shares per task and scope, per model version. */
export const distributionStats = pgView('distribution_stats', {
  modelVersion: text('model_version').notNull(),
  task: text('task').notNull(),
  scope: text('scope').notNull(),
  scopeValue: text('scope_value').notNull(),
  label: text('label').notNull(),
  n: integer('n').notNull(),
  share: doublePrecision('share').notNull(),
}).existing();

/** Confidence histogram per task in ten buckets of width 0.1 (bucket 9 includes 1.0). */
export const confidenceHistograms = pgView('confidence_histograms', {
  modelVersion: text('model_version').notNull(),
  task: text('task').notNull(),
  bucket: integer('bucket').notNull(),
  n: integer('n').notNull(),
}).existing();

/** One row per model version: volumes, fallback rates and mean confidences. */
export const modelStats = pgView('model_stats', {
  modelVersion: text('model_version').notNull(),
  profiles: integer('profiles').notNull(),
  positions: integer('positions').notNull(),
  seniorityFallbackRate: doublePrecision('seniority_fallback_rate').notNull(),
  departmentFallbackRate: doublePrecision('department_fallback_rate').notNull(),
  seniorityMeanConfidence: doublePrecision('seniority_mean_confidence').notNull(),
  departmentMeanConfidence: doublePrecision('department_mean_confidence').notNull(),
}).existing();

/**
 * Analysts' corrections, append-only (src/store/corrections.ts): a title correction (`title_key`,
 * the title normalized as scoring does) or a position correction (`profile_id`, `position_index`),
 * setting seniority and/or department; an undo is a row whose `undoes` names the row it cancels.
 */
export const corrections = pgTable(
  'corrections',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    author: text('author').notNull(),
    title: text('title'),
    titleKey: text('title_key'),
    profileId: text('profile_id'),
    positionIndex: integer('position_index'),
    seniority: text('seniority'),
    department: text('department'),
    undoes: bigint('undoes', { mode: 'number' }).references((): AnyPgColumn => corrections.id),
  },
  (t) => [
    index('corrections_title_key_idx').on(t.titleKey),
    uniqueIndex('corrections_undoes_uq').on(t.undoes),
    check(
      'corrections_one_target',
      sql`${t.undoes} is not null or ((${t.titleKey} is not null) <> (${t.profileId} is not null and ${t.positionIndex} is not null))`,
    ),
  ],
);

/** Input that was not a profile, kept verbatim with the reason; `source_ref` makes re-reads idempotent. */
export const deadLetters = pgTable(
  'dead_letters',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    source: text('source').notNull(),
    /** e.g. `line 17`, `item 3`, `partition 0 offset 42`. */
    sourceRef: text('source_ref').notNull(),
    messageKey: text('message_key'),
    reason: text('reason').notNull(),
    payload: text('payload').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('dead_letters_source_ref_uq').on(t.source, t.sourceRef)],
);

/** Re-scoring runs of positions that an older model scored (nightly or on demand). */
export const backfillRuns = pgTable('backfill_runs', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  targetModelVersion: text('target_model_version').notNull(),
  status: text('status').notNull().default('running'),
  rowsScored: integer('rows_scored').notNull().default(0),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
  /** Only positions an older model scored under this version (null: any older version). */
  sourceModelVersion: text('source_model_version'),
  /** Only profiles stored or updated at or after this instant (null: all). */
  since: timestamp('since', { withTimezone: true }),
  /** `cli` or `schedule`. */
  trigger: text('trigger').notNull().default('cli'),
  /** Positions to re-score, counted when the run started. */
  rowsTotal: integer('rows_total').notNull().default(0),
  profilesScored: integer('profiles_scored').notNull().default(0),
  error: text('error'),
  updatedAt: updatedAt(),
});

/**
 * A run's profile-id ranges (after_id, until_id]: one BullMQ job each, so any number of workers on
 * any number of machines share a run. Each range keeps its own cursor, committed with each batch.
 */
export const backfillRanges = pgTable(
  'backfill_ranges',
  {
    runId: bigint('run_id', { mode: 'number' }).notNull().references(() => backfillRuns.id, { onDelete: 'cascade' }),
    rangeIndex: integer('range_index').notNull(),
    /** Exclusive lower bound of the profile ids ('' for the first range). */
    afterId: text('after_id').notNull(),
    /** Inclusive upper bound (null for the last range). */
    untilId: text('until_id'),
    /** The last profile whose re-scoring is committed (after_id before the first batch). */
    cursor: text('cursor').notNull(),
    rowsScored: integer('rows_scored').notNull().default(0),
    profilesScored: integer('profiles_scored').notNull().default(0),
    /** `pending` until its last batch is committed, then `done`. */
    status: text('status').notNull().default('pending'),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.rangeIndex] })],
);

/**
 * The class distribution a model was trained on, per task: the baseline that production drift is
 * measured against. `source` says where it came from (the manifest, or an annotated CV file).
 */
export const referenceDistributions = pgTable(
  'reference_distributions',
  {
    modelVersion: text('model_version').notNull(),
    task: text('task').notNull(),
    label: text('label').notNull(),
    share: doublePrecision('share').notNull(),
    source: text('source').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.modelVersion, t.task, t.label] })],
);

/** Drift of the predicted class distribution against the reference, overall and per ingestion day. */
export const driftStats = pgTable(
  'drift_stats',
  {
    modelVersion: text('model_version').notNull(),
    task: text('task').notNull(),
    /** `overall` or `ingestion_day`. */
    scope: text('scope').notNull(),
    /** '' for `overall`, `YYYY-MM-DD` (UTC) for `ingestion_day`. */
    scopeValue: text('scope_value').notNull(),
    n: integer('n').notNull(),
    /** Population stability index (shares floored at 1e-4). */
    psi: doublePrecision('psi').notNull(),
    /** Jensen-Shannon divergence, base 2 (0..1). */
    js: doublePrecision('js').notNull(),
    threshold: doublePrecision('threshold').notNull(),
    /** psi > threshold. */
    flagged: boolean('flagged').notNull(),
    computedAt: timestamp('computed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.modelVersion, t.task, t.scope, t.scopeValue] })],
);

/** Postgres `bytea`; drizzle has no built-in column type for it. */
const bytea = customType<{ data: Uint8Array }>({ dataType: () => 'bytea' });

/**
 * Sentence-encoder vectors per (encoder version, normalized title): the shared level of the
 * embedding cache (src/classify/embedding-cache.ts). `embedding` is little-endian float32.
 */
export const titleEmbeddings = pgTable(
  'title_embeddings',
  {
    encoderVersion: text('encoder_version').notNull(),
    titleKey: text('title_key').notNull(),
    embedding: bytea('embedding').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.encoderVersion, t.titleKey] })],
);

/**
 * The offset ledger of streaming: every Kafka offset range (one scoring job) whose rows and dead
 * letters are stored, written in the same transaction as those rows (store-score-job.ts). The
 * consumer commits a partition's offset only past ranges recorded here (profile-consumer.ts), so
 * Kafka stays the record of whatever Postgres does not hold yet. Rows behind the committed offset
 * are pruned.
 */
export const storedOffsets = pgTable(
  'stored_offsets',
  {
    topic: text('topic').notNull(),
    partition: integer('partition').notNull(),
    firstOffset: bigint('first_offset', { mode: 'number' }).notNull(),
    lastOffset: bigint('last_offset', { mode: 'number' }).notNull(),
    storedAt: timestamp('stored_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.topic, t.partition, t.firstOffset, t.lastOffset] })],
);

/**
 * What each consumer group member last reported of the partitions it owns (every commit pass): the
 * committed offset, the ranges enqueued but not yet stored and when the oldest of them was
 * published. `/readyz`, `/metrics` and `verify` read it beside Kafka's own offsets.
 */
export const consumerPartitions = pgTable(
  'consumer_partitions',
  {
    groupId: text('group_id').notNull(),
    topic: text('topic').notNull(),
    partition: integer('partition').notNull(),
    committedOffset: bigint('committed_offset', { mode: 'number' }),
    unstoredRanges: integer('unstored_ranges').notNull(),
    oldestUnstoredAt: timestamp('oldest_unstored_at', { withTimezone: true }),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.topic, t.partition] })],
);
