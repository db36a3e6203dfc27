/**
 * POST /classify: seniority and department of a batch of bare titles, by the same scoring core as
 * `classify` and `classify --csv` (scoreTitles), answered in their JSON shape (titleAnswer). The
 * body is validated with zod; every rejection is a 400 naming the field.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { TitleClassifier } from '../domain/prediction.ts';
import { PositionSchema, describeIssues } from '../domain/profile.ts';
import { titleAnswer } from '../pipeline/answer.ts';
import { scoreTitles } from '../pipeline/score.ts';
import type { CorrectionSource } from '../store/corrections.ts';
import type { Metrics } from './metrics.ts';

/** Titles per request: one classifier batch, scored in well under a second. */
export const MAX_CLASSIFY_TITLES = 1000;
/** Bytes per request body: 1000 titles of the longest allowed length with organizations, plus JSON. */
export const CLASSIFY_BODY_LIMIT = 1024 * 1024;

// The same rules as a position's title and organization in a profile message.
const title = PositionSchema.shape.position;
const organization = PositionSchema.shape.organization;

export const ClassifyRequestSchema = z.strictObject({
  titles: z
    .array(z.union([title, z.strictObject({ title, organization })]))
    .min(1, { message: 'has no titles' })
    .max(MAX_CLASSIFY_TITLES, { message: `has more than ${MAX_CLASSIFY_TITLES} titles` }),
});
export type ClassifyRequest = z.infer<typeof ClassifyRequestSchema>;

/** `corrections`: the analysts' title corrections, which win over the model (source `override`). */
export function registerClassifyRoute(app: FastifyInstance, classifier: TitleClassifier, metrics: Metrics, corrections: CorrectionSource): void {
  app.post('/classify', { bodyLimit: CLASSIFY_BODY_LIMIT }, async (request, reply) => {
    // Fastify would hand a text/plain body over as a string; say what is expected instead.
    if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
      return reply.code(415).send({ error: 'POST /classify takes a JSON body (content-type: application/json): {"titles": ["…", …]}' });
    }
    const parsed = ClassifyRequestSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: `invalid request: ${describeIssues(parsed.error)}` });
    const queries = parsed.data.titles.map((t) => (typeof t === 'string' ? { title: t } : t));
    const t0 = performance.now();
    const scored = await scoreTitles(queries, classifier, await corrections.current());
    metrics.observeClassify(scored.map((s) => s.prediction), (performance.now() - t0) / 1000);
    return { modelVersion: classifier.modelVersion, results: scored.map(titleAnswer) };
  });
}
