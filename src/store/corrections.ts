/**
 * Analysts' corrections in Postgres: append-only rows (who, when, what; an undo is a row naming the
 * row it cancels), and the stored predictions they change. Adding or undoing a correction re-applies
 * what now holds to every stored prediction it concerns, of every model version, in one transaction
 * that keeps the statistics exact (withStatistics): a corrected label becomes source `override`
 * with confidence 1, and the model's own answer is kept in the explanation (`modelAnswer`), which
 * an undo restores where no other correction applies.
 *
 * Career features are not recomputed here: they follow the corrected labels at the profile's next
 * scoring (a backfill, or the profile re-delivered), which applies the corrections too.
 */
import { sql } from 'drizzle-orm';
import {
  type Correction,
  type CorrectionRequest,
  type CorrectionSet,
  correctionFor,
  foldCorrections,
  parsePositionId,
  positionId,
} from '../domain/correction.ts';
import { type Department, type Seniority, TASKS } from '../domain/labels.ts';
import type { ScoredProfile } from '../domain/prediction.ts';
import type { Status } from '../domain/profile.ts';
import type { CareerInput } from '../domain/career.ts';
import { computeCareerFeatures } from '../features/career.ts';
import { upsertCareer } from './career-store.ts';
import { correctScored } from '../pipeline/corrections.ts';
import { type Db, queryRows } from './db.ts';
import { withStatistics } from './statistics.ts';
import { inTransaction } from './transaction.ts';

interface Row {
  id: string | number;
  created_at: string | Date;
  author: string;
  title: string | null;
  title_key: string | null;
  profile_id: string | null;
  position_index: number | null;
  seniority: string | null;
  department: string | null;
  undoes: string | number | null;
  undone: boolean;
}

function toCorrection(r: Row): Correction {
  return {
    id: Number(r.id),
    createdAt: new Date(r.created_at).toISOString(),
    author: r.author,
    title: r.title,
    titleKey: r.title_key,
    positionId: r.profile_id !== null && r.position_index !== null ? positionId(r.profile_id, r.position_index) : null,
    seniority: r.seniority,
    department: r.department,
    undoes: r.undoes === null ? null : Number(r.undoes),
    undone: r.undone,
  };
}

const SELECT = sql`
  select c.*, exists (select 1 from corrections u where u.undoes = c.id) as undone
  from corrections c`;

/** Every row, oldest first (the API's list; analysts make thousands, not millions). */
export async function readCorrections(db: Db): Promise<Correction[]> {
  return (await queryRows<Row>(db, sql`${SELECT} order by c.id`)).map(toCorrection);
}

/** What applies now: the scoring core's input. */
export async function loadCorrectionSet(db: Db): Promise<CorrectionSet> {
  return foldCorrections(await readCorrections(db));
}

/** Correction writers hold it exclusively, prediction writers shared (reconcileCorrections). */
const CORRECTIONS_LOCK = sql`select pg_advisory_xact_lock_shared(hashtextextended('cv-pipeline:corrections', 0))`;
const CORRECTIONS_LOCK_EXCLUSIVE = sql`select pg_advisory_xact_lock(hashtextextended('cv-pipeline:corrections', 0))`;

/**
 * In a transaction that writes predictions scored with the set of `version`: waits for any
 * correction being written, and re-applies the corrections as they now stand if one was added or
 * undone since that set was read. With the lock held until commit, a correction made meanwhile
 * either is seen here or sees these rows when it relabels, never neither.
 */
export async function reconcileCorrections(tx: Db, scored: readonly ScoredProfile[], version: number): Promise<readonly ScoredProfile[]> {
  await tx.execute(CORRECTIONS_LOCK);
  const [row] = await queryRows<{ v: string | number }>(tx, sql`select coalesce(max(id), 0) as v from corrections`);
  if (Number(row!.v) === version) return scored;
  return correctScored(scored, await loadCorrectionSet(tx));
}

export class CorrectionError extends Error {
  constructor(
    message: string,
    readonly status: 404 | 409,
  ) {
    super(message);
  }
}

/**
 * Stores a correction (the title normalized by `normalize`, as scoring does) and applies it to the
 * stored predictions; returns the stored row and how many stored positions it changed.
 */
export async function addCorrection(
  db: Db,
  request: CorrectionRequest,
  author: string,
  normalize: (title: string) => string,
  /** When it was made (an import keeps the original time); default now. */
  createdAt?: Date,
): Promise<{ correction: Correction; positions: number }> {
  return inTransaction(db, async (tx) => {
    await tx.execute(CORRECTIONS_LOCK_EXCLUSIVE);
    const titleKey = request.title !== undefined ? normalize(request.title) : null;
    const position = request.positionId !== undefined ? parsePositionId(request.positionId)! : null;
    if (position) {
      const found = await queryRows(tx, sql`select 1 from positions where profile_id = ${position.profileId} and position_index = ${position.positionIndex}`);
      if (found.length === 0) throw new CorrectionError(`no stored position ${request.positionId}`, 404);
    }
    const [row] = await queryRows<Row>(
      tx,
      sql`insert into corrections (author, title, title_key, profile_id, position_index, seniority, department, created_at)
          values (${author}, ${request.title ?? null}, ${titleKey}, ${position?.profileId ?? null}, ${position?.positionIndex ?? null},
                  ${request.seniority ?? null}, ${request.department ?? null}, ${(createdAt ?? new Date()).toISOString()})
          returning *, false as undone`,
    );
    const positions = await reapply(tx, titleKey, position);
    return { correction: toCorrection(row!), positions };
  });
}

/** Undoes row `id` with a new row (by `author`); re-applies what holds without it. */
export async function undoCorrection(db: Db, id: number, author: string): Promise<{ correction: Correction; positions: number }> {
  return inTransaction(db, async (tx) => {
    await tx.execute(CORRECTIONS_LOCK_EXCLUSIVE);
    const [target] = await queryRows<Row>(tx, sql`${SELECT} where c.id = ${id} for update of c`);
    if (!target) throw new CorrectionError(`no correction ${id}`, 404);
    if (target.undoes !== null) throw new CorrectionError(`correction ${id} is an undo; add a correction instead`, 409);
    if (target.undone) throw new CorrectionError(`correction ${id} is already undone`, 409);
    const [row] = await queryRows<Row>(tx, sql`insert into corrections (author, undoes) values (${author}, ${id}) returning *, false as undone`);
    const position = target.profile_id !== null ? { profileId: target.profile_id, positionIndex: target.position_index! } : null;
    const positions = await reapply(tx, target.title_key, position);
    return { correction: toCorrection(row!), positions };
  });
}

/**
 * Sets every stored prediction of the positions with title key `titleKey` (or of the one position)
 * to what the corrections now say, per task: the correction's label, or, where none applies any
 * more, the model's answer kept in the explanation. Returns the number of positions concerned.
 */
async function reapply(tx: Db, titleKey: string | null, position: { profileId: string; positionIndex: number } | null): Promise<number> {
  const set = await loadCorrectionSet(tx);
  const targets = await queryRows<{ profile_id: string; position_index: number; normalized_title: string }>(
    tx,
    titleKey !== null
      ? sql`select profile_id, position_index, normalized_title from positions where normalized_title = ${titleKey}`
      : sql`select profile_id, position_index, normalized_title from positions
            where profile_id = ${position!.profileId} and position_index = ${position!.positionIndex}`,
  );
  if (targets.length === 0) return 0;
  await withStatistics(
    tx,
    targets.map((t) => t.profile_id),
    async () => {
      for (const task of TASKS) {
        const labels = targets.map((t) => correctionFor(set, task, t.normalized_title, positionId(t.profile_id, t.position_index))?.label ?? null);
        await tx.execute(relabel(task, targets.map((t) => t.profile_id), targets.map((t) => t.position_index), labels));
      }
      await recomputeCareers(tx, [...new Set(targets.map((t) => t.profile_id))]);
    },
  );
  return targets.length;
}

/**
 * The career features of `profileIds`, every model version, recomputed from their stored positions
 * and (now corrected) predictions, as of the month they were computed as of: a corrected label
 * moves the profile's current seniority, promotions and time to Lead at once, not at its next scoring.
 */
async function recomputeCareers(tx: Db, profileIds: string[]): Promise<void> {
  const careers = await queryRows<{ profile_id: string; model_version: string; as_of: string }>(
    tx,
    sql`select profile_id, model_version, coalesce(as_of, to_char(computed_at at time zone 'UTC', 'YYYY-MM')) as as_of
        from career_features where profile_id = any(${sql.param(profileIds)}::text[])`,
  );
  const rows = await queryRows<{ profile_id: string; model_version: string; start_date: string | null; end_date: string | null; status: Status | null; organization: string | null; seniority: Seniority; department: Department }>(
    tx,
    sql`select po.profile_id, p.model_version, po.start_date, po.end_date, po.status, po.organization, p.seniority, p.department
        from positions po join predictions p on p.profile_id = po.profile_id and p.position_index = po.position_index
        where po.profile_id = any(${sql.param(profileIds)}::text[])
        order by po.profile_id, p.model_version, po.position_index`,
  );
  const inputs = new Map<string, CareerInput[]>();
  for (const r of rows) {
    const key = `${r.profile_id}\u0000${r.model_version}`;
    if (!inputs.has(key)) inputs.set(key, []);
    inputs.get(key)!.push({ startDate: r.start_date, endDate: r.end_date, status: r.status, organization: r.organization, seniority: r.seniority, department: r.department });
  }
  await upsertCareer(tx, careers.map((c) => ({
    profileId: c.profile_id,
    modelVersion: c.model_version,
    asOf: c.as_of,
    career: computeCareerFeatures(inputs.get(`${c.profile_id}\u0000${c.model_version}`) ?? [], c.as_of),
  })));
}

/**
 * One statement per task: where `label` is given, the override (keeping the model's answer once);
 * where it is null and the stored label is an override, the model's answer back.
 */
function relabel(task: (typeof TASKS)[number], profileIds: string[], indexes: number[], labels: (string | null)[]) {
  const col = sql.raw(task);
  const conf = sql.raw(`${task}_confidence`);
  const src = sql.raw(`${task}_source`);
  const kept = sql.raw(`p.explanation->'modelAnswer'->'${task}'`);
  return sql`
    update predictions p set
      ${col} = coalesce(d.label, ${kept}->>'label'),
      ${conf} = case when d.label is null then (${kept}->>'confidence')::real else 1 end,
      ${src} = case when d.label is null then ${kept}->>'source' else 'override' end,
      explanation = case
        when d.label is null then p.explanation #- ${`{modelAnswer,${task}}`}::text[]
        when p.${src} = 'override' then p.explanation
        else p.explanation || jsonb_build_object('modelAnswer', coalesce(p.explanation->'modelAnswer', '{}'::jsonb)
          || jsonb_build_object(${task}::text, jsonb_build_object('label', p.${col}, 'confidence', p.${conf}, 'source', p.${src})))
      end
    from unnest(${sql.param(profileIds)}::text[], ${sql.param(indexes)}::int[], ${sql.param(labels)}::text[]) as d(profile_id, position_index, label)
    where p.profile_id = d.profile_id and p.position_index = d.position_index
      and (d.label is not null or (p.${src} = 'override' and ${kept} is not null))`;
}

/** The correction set, re-read at most every `ttlMs` (and at once after `invalidate`): what a long-running process scores with. */
export interface CorrectionSource {
  current(): Promise<CorrectionSet>;
  invalidate(): void;
}

export function correctionSource(db: Db, ttlMs = 5_000): CorrectionSource {
  let cached: { set: Promise<CorrectionSet>; at: number } | null = null;
  return {
    current() {
      if (!cached || Date.now() - cached.at > ttlMs) {
        const set = loadCorrectionSet(db);
        cached = { set, at: Date.now() };
        // A failed read is not cached: the next call tries again.
        set.catch(() => (cached = null));
      }
      return cached.set;
    },
    invalidate() {
      cached = null;
    },
  };
}
