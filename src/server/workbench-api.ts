/**
 * The analyst workbench's HTTP API: stored positions filtered and paged by keyset (JSON, or the whole
 * filtered set streamed as CSV), and corrections (list, add, undo). Writes need an editor and the
 * JSON content type (auth.ts writeGuard); every input is validated with zod and answered 400 naming
 * the field.
 */
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { type SQL, sql } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { CorrectionRequestSchema, positionId } from '../domain/correction.ts';
import { DEPARTMENT_CLASSES, SENIORITY_CLASSES } from '../domain/labels.ts';
import type { TitleClassifier } from '../domain/prediction.ts';
import { describeIssues } from '../domain/profile.ts';
import { type Db, queryRows } from '../store/db.ts';
import { CorrectionError, addCorrection, readCorrections, undoCorrection } from '../store/corrections.ts';
import { organizationKey } from '../text/organization.ts';
import { writeGuard } from './auth.ts';
import { csrfToken, csrfValid } from './csrf.ts';
import { classifierStatus } from '../classify/load-classifier.ts';
import { PositionSchema } from '../domain/profile.ts';
import { titleAnswer } from '../pipeline/answer.ts';
import { scoreTitles } from '../pipeline/score.ts';
import type { CorrectionSource } from '../store/corrections.ts';
import { REVIEW_LIMIT_MAX, REVIEW_STRATEGIES, type ReviewQueueSource, type ReviewStrategy } from '../store/review-queue.ts';
import { WORKBENCH_CSP, type WorkbenchView, renderWorkbenchPage } from './workbench-page.ts';

const WorkbenchClassifySchema = z.object({ title: PositionSchema.shape.position, organization: PositionSchema.shape.organization });

/** Positions per page: default and most. */
const PAGE = 50;
const MAX_PAGE = 500;
/** Rows per keyset step of a CSV export. */
const EXPORT_STEP = 2000;

const Cursor = z.tuple([z.string(), z.number().int().nonnegative()]);

function encodeCursor(profileId: string, index: number): string {
  return Buffer.from(JSON.stringify([profileId, index])).toString('base64url');
}

function decodeCursor(value: string): [string, number] | null {
  try {
    const parsed = Cursor.safeParse(JSON.parse(Buffer.from(value, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

const confidence = z.coerce.number().min(0).max(1);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be YYYY-MM-DD' });

export const PositionQuerySchema = z.strictObject({
  org: z.string().min(1).max(300).optional(),
  seniority: z.enum(SENIORITY_CLASSES).optional(),
  department: z.enum(DEPARTMENT_CLASSES).optional(),
  source: z.enum(['ensemble', 'fallback', 'override', 'keywords']).optional(),
  model: z.string().min(1).max(200).optional(),
  minConfidence: confidence.optional(),
  maxConfidence: confidence.optional(),
  q: z.string().min(1).max(200).optional(),
  ingestedFrom: isoDate.optional(),
  ingestedTo: isoDate.optional(),
  after: z.string().max(2000).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(PAGE),
});
export type PositionQuery = z.infer<typeof PositionQuerySchema>;

interface PositionRow {
  profile_id: string;
  position_index: number;
  title: string;
  normalized_title: string;
  organization: string | null;
  organization_key: string | null;
  start_date: string | null;
  end_date: string | null;
  status: string | null;
  model_version: string;
  seniority: string;
  seniority_confidence: number;
  seniority_source: string;
  department: string;
  department_confidence: number;
  department_source: string;
  scored_at: string | Date;
  ingested_at: string | Date;
}

function item(r: PositionRow) {
  return {
    positionId: positionId(r.profile_id, r.position_index),
    profileId: r.profile_id,
    positionIndex: r.position_index,
    title: r.title,
    normalizedTitle: r.normalized_title,
    organization: r.organization,
    organizationKey: r.organization_key,
    startDate: r.start_date,
    endDate: r.end_date,
    status: r.status,
    modelVersion: r.model_version,
    seniority: r.seniority,
    seniorityConfidence: r.seniority_confidence,
    senioritySource: r.seniority_source,
    department: r.department,
    departmentConfidence: r.department_confidence,
    departmentSource: r.department_source,
    scoredAt: new Date(r.scored_at).toISOString(),
    ingestedAt: new Date(r.ingested_at).toISOString(),
  };
}

/** `%`, `_` and `\` of user text matched literally by ILIKE. */
const likeLiteral = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * One keyset page of the filtered positions of one model version, ordered by (profile, position):
 * the primary key of the version's partition, so a page costs the same at any depth.
 */
export async function readPositions(db: Db, query: PositionQuery, modelVersion: string, after: [string, number] | null, limit: number): Promise<PositionRow[]> {
  const where: SQL[] = [sql`p.model_version = ${modelVersion}`];
  if (after) {
    // On both tables: with it on predictions only, the planner may drive from positions in key order
    // and probe predictions for every position before the cursor, each probe scanning from the
    // cursor to the end of the index (69 s for a page in the middle of 100k positions, measured).
    where.push(sql`(p.profile_id, p.position_index) > (${after[0]}, ${after[1]})`, sql`(po.profile_id, po.position_index) > (${after[0]}, ${after[1]})`);
  }
  // By the organization key (text/organization.ts): "Daimler AG" finds "DAIMLER" and "Daimler".
  if (query.org) where.push(sql`po.organization_key = ${organizationKey(query.org)}`);
  if (query.seniority) where.push(sql`p.seniority = ${query.seniority}`);
  if (query.department) where.push(sql`p.department = ${query.department}`);
  if (query.source) where.push(sql`(p.seniority_source = ${query.source} or p.department_source = ${query.source})`);
  if (query.minConfidence !== undefined) where.push(sql`least(p.seniority_confidence, p.department_confidence) >= ${query.minConfidence}`);
  if (query.maxConfidence !== undefined) where.push(sql`least(p.seniority_confidence, p.department_confidence) <= ${query.maxConfidence}`);
  if (query.q) where.push(sql`po.title ilike ${`%${likeLiteral(query.q)}%`}`);
  if (query.ingestedFrom) where.push(sql`pr.created_at >= ${query.ingestedFrom}::date`);
  if (query.ingestedTo) where.push(sql`pr.created_at < ${query.ingestedTo}::date + 1`);
  return queryRows<PositionRow>(
    db,
    sql`select p.profile_id, p.position_index, po.title, po.normalized_title, po.organization, po.organization_key, po.start_date, po.end_date, po.status,
               p.model_version, p.seniority, p.seniority_confidence, p.seniority_source, p.department, p.department_confidence,
               p.department_source, p.scored_at, pr.created_at as ingested_at
        from predictions p
        join positions po on po.profile_id = p.profile_id and po.position_index = p.position_index
        join profiles pr on pr.profile_id = p.profile_id
        where ${sql.join(where, sql` and `)}
        order by p.profile_id, p.position_index
        limit ${limit}`,
  );
}

const ReviewQuerySchema = z.strictObject({
  model: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(REVIEW_LIMIT_MAX).default(20),
  strategy: z.enum(REVIEW_STRATEGIES).default('combined'),
});

const CSV_COLUMNS = [
  'positionId', 'profileId', 'positionIndex', 'title', 'organization', 'startDate', 'endDate', 'status', 'modelVersion',
  'seniority', 'seniorityConfidence', 'senioritySource', 'department', 'departmentConfidence', 'departmentSource', 'scoredAt', 'ingestedAt',
] as const;

export interface WorkbenchDeps {
  /** Reads (a replica where READ_DATABASE_URL is set). */
  db: Db;
  /** Writes: the primary. */
  writeDb: Db;
  classifier: TitleClassifier;
  /** The corrections as they stand (the classify box answers with them); invalidated after each write. */
  corrections: CorrectionSource;
  /** The review queue, read at most once a minute (store/review-queue.ts). */
  reviewQueue: ReviewQueueSource;
  /** Whether REDIS_URL is set (else the queue board is empty, and the page says why). */
  redisConfigured: boolean;
  /** Signs the page forms' CSRF tokens (csrf.ts). */
  csrfSecret: Buffer;
}

/** The page's review form: a title and the classes the analyst confirmed or picked. */
const ReviewFormSchema = z.strictObject({
  csrf: z.string(),
  title: PositionSchema.shape.position,
  seniority: z.enum(SENIORITY_CLASSES),
  department: z.enum(DEPARTMENT_CLASSES),
});

export function registerWorkbenchApi(app: FastifyInstance, deps: WorkbenchDeps): void {
  // The queue less the titles corrected as of now (the corrections source is invalidated by every write).
  const review = async (model: string, limit: number, strategy: ReviewStrategy) => {
    const set = await deps.corrections.current();
    return deps.reviewQueue.read(model, limit, strategy, (titleKey) => set.titles.has(titleKey));
  };
  const parseQuery = (raw: unknown, reply: FastifyReply) => {
    const parsed = PositionQuerySchema.safeParse(raw);
    if (!parsed.success) {
      void reply.code(400).send({ error: `invalid query: ${describeIssues(parsed.error)}` });
      return null;
    }
    const after = parsed.data.after ? decodeCursor(parsed.data.after) : null;
    if (parsed.data.after && !after) {
      void reply.code(400).send({ error: 'invalid query: after: not a cursor this API returned' });
      return null;
    }
    return { query: parsed.data, after, model: parsed.data.model ?? deps.classifier.modelVersion };
  };

  app.get('/api/positions', async (request, reply) => {
    const parsed = parseQuery(request.query, reply);
    if (!parsed) return reply;
    const { query, after, model } = parsed;
    // One row more than the page says whether there is a next page.
    const rows = await readPositions(deps.db, query, model, after, query.limit + 1);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return { modelVersion: model, items: page.map(item), next: rows.length > query.limit && last ? encodeCursor(last.profile_id, last.position_index) : null };
  });

  app.get('/api/positions.csv', async (request, reply) => {
    const parsed = parseQuery(request.query, reply);
    if (!parsed) return reply;
    const { query, model } = parsed;
    // The whole filtered set, read in keyset steps as the client consumes it (backpressure).
    async function* rows() {
      let after = parsed!.after;
      for (;;) {
        const batch = await readPositions(deps.db, query, model, after, EXPORT_STEP);
        for (const r of batch) yield item(r);
        if (batch.length < EXPORT_STEP) return;
        const last = batch.at(-1)!;
        after = [last.profile_id, last.position_index];
      }
    }
    const csv = Readable.from(rows()).pipe(stringify({ header: true, columns: [...CSV_COLUMNS] }));
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="positions-${model.replace(/[^\w.-]/g, '_')}.csv"`)
      .send(csv);
  });

  app.get('/api/corrections', async () => ({ items: await readCorrections(deps.db) }));

  app.get('/api/review', async (request, reply) => {
    const parsed = ReviewQuerySchema.safeParse(request.query);
    if (!parsed.success) return reply.code(400).send({ error: `invalid query: ${describeIssues(parsed.error)}` });
    const model = parsed.data.model ?? deps.classifier.modelVersion;
    return { modelVersion: model, strategy: parsed.data.strategy, items: await review(model, parsed.data.limit, parsed.data.strategy) };
  });

  // The page's forms post url-encoded bodies (the JSON API never accepts them: see writeGuard).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.post('/workbench/corrections', { preHandler: writeGuard }, async (request, reply) => {
    if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers['content-type'] ?? '')) {
      return reply.code(415).send({ error: 'the review form posts application/x-www-form-urlencoded' });
    }
    const form = (request.body ?? {}) as Record<string, unknown>;
    // A same-site check passed (writeGuard); the token proves the form came from this page for this user.
    if (!csrfValid(deps.csrfSecret, request.user!.name, form.csrf)) return reply.code(403).send({ error: 'missing or invalid CSRF token' });
    const parsed = ReviewFormSchema.safeParse(form);
    if (!parsed.success) return reply.code(400).send({ error: `invalid review: ${describeIssues(parsed.error)}` });
    const { title, seniority, department } = parsed.data;
    const stored = await addCorrection(deps.writeDb, { title, seniority, department }, request.user!.name, (t) => deps.classifier.prepare(t, null).normalized);
    deps.corrections.invalidate();
    request.log.info({ audit: 'correction', user: request.user!.name, correction: stored.correction, positions: stored.positions }, 'correction stored (review form)');
    return reply.redirect(`/workbench?review=1&saved=${stored.correction.id}&covered=${stored.positions}`, 303);
  });

  app.get('/workbench', async (request, reply) => {
    const raw = (request.query ?? {}) as Record<string, unknown>;
    const str = (k: string) => (typeof raw[k] === 'string' ? (raw[k] as string) : '');
    const title = str('title').trim();
    const org = str('organization').trim();
    let error: string | null = null;
    let answer = null;
    if (title) {
      const parsed = WorkbenchClassifySchema.safeParse({ title, organization: org || undefined });
      if (parsed.success) {
        const [scored] = await scoreTitles([parsed.data], deps.classifier, await deps.corrections.current());
        answer = titleAnswer(scored!);
      } else error = `cannot classify: ${describeIssues(parsed.error)}`;
    }
    // The explorer's filters: the API's, blank fields left out; listed once asked for (`explore`).
    const filters = Object.fromEntries(
      ['q', 'org', 'seniority', 'department', 'source', 'minConfidence', 'maxConfidence', 'after'].flatMap((k) => (str(k) ? [[k, str(k)]] : [])),
    );
    let positions: WorkbenchView['positions'] = null;
    if (str('explore')) {
      const parsed = PositionQuerySchema.safeParse(filters);
      const after = parsed.success && parsed.data.after ? decodeCursor(parsed.data.after) : null;
      if (!parsed.success) error = `invalid filter: ${describeIssues(parsed.error)}`;
      else if (parsed.data.after && !after) error = 'invalid filter: after: not a cursor this page made';
      else {
        const rows = await readPositions(deps.db, parsed.data, deps.classifier.modelVersion, after, PAGE + 1);
        const page = rows.slice(0, PAGE).map(item);
        const { after: _after, ...rest } = filters;
        const query = (extra: Record<string, string>) => new URLSearchParams({ ...rest, ...extra }).toString();
        const last = page.at(-1);
        positions = {
          items: page,
          nextHref: rows.length > PAGE && last ? `/workbench?${query({ explore: '1', after: encodeCursor(last.profileId, last.positionIndex) })}` : null,
          exportHref: `/api/positions.csv?${query({})}`,
        };
      }
    }
    const encoder = classifierStatus(deps.classifier).encoder;
    const notes = [
      ...(encoder && (encoder.state === 'absent' || encoder.state === 'mismatch' || encoder.state === 'off') ? [`Scoring without the sentence encoder: ${encoder.detail}.`] : []),
      ...(deps.redisConfigured ? [] : ['REDIS_URL is not set: the queue board shows no queues, and nothing streams through this server.']),
    ];
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', WORKBENCH_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-store')
      .send(renderWorkbenchPage({ user: request.user ?? { name: 'dev', role: 'editor' }, modelVersion: deps.classifier.modelVersion, notes,
        classify: { title, org, answer }, filters, positions, error,
        review: str('review') ? await review(deps.classifier.modelVersion, 20, 'combined') : null,
        // Forms only for an editor; the token binds them to this user (csrf.ts).
        csrf: request.user?.role === 'editor' ? csrfToken(deps.csrfSecret, request.user.name) : null,
        saved: /^\d+$/.test(str('saved')) ? { id: Number(str('saved')), positions: Number(str('covered')) || 0 } : null }));
  });

  app.post('/api/corrections', { preHandler: writeGuard }, async (request, reply) => {
    if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
      return reply.code(415).send({ error: 'POST /api/corrections takes a JSON body (content-type: application/json)' });
    }
    const parsed = CorrectionRequestSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: `invalid correction: ${describeIssues(parsed.error)}` });
    try {
      const stored = await addCorrection(deps.writeDb, parsed.data, request.user!.name, (title) => deps.classifier.prepare(title, null).normalized);
      deps.corrections.invalidate();
      request.log.info({ audit: 'correction', user: request.user!.name, correction: stored.correction, positions: stored.positions }, 'correction stored');
      return reply.code(201).send(stored);
    } catch (err) {
      if (err instanceof CorrectionError) return reply.code(err.status).send({ error: err.message });
      throw err;
    }
  });

  app.delete<{ Params: { id: string } }>('/api/corrections/:id', { preHandler: writeGuard }, async (request, reply) => {
    const id = Number(request.params.id);
    if (!/^\d+$/.test(request.params.id) || !Number.isSafeInteger(id)) return reply.code(400).send({ error: 'the correction id must be a number' });
    try {
      const undone = await undoCorrection(deps.writeDb, id, request.user!.name);
      deps.corrections.invalidate();
      request.log.info({ audit: 'correction undo', user: request.user!.name, correction: undone.correction, positions: undone.positions }, 'correction undone');
      return reply.code(200).send(undone);
    } catch (err) {
      if (err instanceof CorrectionError) return reply.code(err.status).send({ error: err.message });
      throw err;
    }
  });
}
