/**
 * The review queue (active learning): stored titles proposed for labeling, the most useful first.
 *
 * - Uncertainty: least confidence, margin or entropy of the stored answers (domain/uncertainty.ts),
 *   or their mean (`combined`, the default); a position counts its more uncertain task. Rows stored
 *   before the measures were kept in the explanation count 1 − confidence for each.
 * - Coverage: one review corrects a normalized title, so every position with it; the score is the
 *   title's mean uncertainty × ln(1 + positions).
 * - Diversity: the best candidates are clustered by character trigrams (text/title-clusters.ts) and
 *   each cluster proposes its best title, listing the similar ones, so a page of the queue does not
 *   spend reviews on spellings of one title.
 *
 * Titles already corrected and overridden predictions are left out. Reads every prediction of the
 * version: seconds at millions of positions, which reviewQueueSource reads once a minute.
 */
import { type SQL, sql } from 'drizzle-orm';
import { TASKS } from '../domain/labels.ts';
import { UNCERTAINTY_MEASURES } from '../domain/uncertainty.ts';
import { clusterTitles } from '../text/title-clusters.ts';
import { type Db, queryRows } from './db.ts';

export const REVIEW_STRATEGIES = [...UNCERTAINTY_MEASURES, 'combined'] as const;
export type ReviewStrategy = (typeof REVIEW_STRATEGIES)[number];

/** Candidates clustered per title proposed. */
const CANDIDATES_PER_ITEM = 10;
/** Similar titles listed per item (all are counted). */
const SIMILAR_SHOWN = 5;

export interface ReviewItem {
  titleKey: string;
  example: string;
  /** Positions the review corrects (those with this normalized title). */
  positions: number;
  uncertainty: number;
  seniority: string;
  department: string;
  score: number;
  /** Similar candidate titles of the same cluster, best first, and their positions in all. */
  similar: { title: string; positions: number }[];
  similarPositions: number;
}

export async function readReviewQueue(db: Db, modelVersion: string, limit: number, strategy: ReviewStrategy = 'combined'): Promise<ReviewItem[]> {
  const u = positionUncertainty(strategy);
  const candidates = await queryRows<Omit<ReviewItem, 'similar' | 'similarPositions'>>(
    db,
    sql`select po.normalized_title as "titleKey", min(po.title) as example, count(*)::int as positions,
               avg(${u})::float8 as uncertainty,
               mode() within group (order by p.seniority) as seniority, mode() within group (order by p.department) as department,
               (avg(${u}) * ln(1 + count(*)))::float8 as score
        from predictions p
        join positions po on po.profile_id = p.profile_id and po.position_index = p.position_index
        where p.model_version = ${modelVersion} and p.seniority_source <> 'override' and p.department_source <> 'override'
          and not exists (select 1 from corrections c where c.title_key = po.normalized_title)
        group by po.normalized_title
        order by score desc, "titleKey"
        limit ${limit * CANDIDATES_PER_ITEM}`,
  );
  return clusterTitles(candidates, (c) => c.titleKey, limit).map(({ leader, members }) => ({
    ...leader,
    similar: members.slice(0, SIMILAR_SHOWN).map((m) => ({ title: m.example, positions: m.positions })),
    similarPositions: members.reduce((sum, m) => sum + m.positions, 0),
  }));
}

/** One position's uncertainty under `strategy`: the larger of its two tasks'. */
function positionUncertainty(strategy: ReviewStrategy): SQL {
  const measures = strategy === 'combined' ? UNCERTAINTY_MEASURES : [strategy];
  // Names from fixed lists only, so sql.raw is safe; a parameter would leave `->` ambiguous.
  const perTask = TASKS.map((task) => {
    const terms = measures.map((m) => `coalesce((p.explanation->'${task}'->'uncertainty'->>'${m}')::float8, 1 - p.${task}_confidence)`);
    return `(${terms.join(' + ')}) / ${measures.length}`;
  });
  return sql.raw(`greatest(${perTask.join(', ')})`);
}

/** The most a caller asks for (the API's limit) and the spare kept for titles corrected meanwhile. */
export const REVIEW_LIMIT_MAX = 200;
const SPARE = 50;

export interface ReviewQueueSource {
  /** The queue without the titles `corrected` says are corrected now, at most `limit` items. */
  read(modelVersion: string, limit: number, strategy: ReviewStrategy, corrected: (titleKey: string) => boolean): Promise<ReviewItem[]>;
}

/**
 * The queue as an analyst labels it: each saved review reloads the page, and reading the queue
 * takes seconds at millions of positions. So it is read at most every `ttlMs` per version and
 * strategy (with the largest limit and a spare), and each read drops the titles corrected since:
 * a saved title leaves the queue at once, new predictions join it within `ttlMs`.
 */
export function reviewQueueSource(db: Db, ttlMs = 60_000): ReviewQueueSource {
  const cache = new Map<string, { at: number; items: Promise<ReviewItem[]> }>();
  return {
    async read(modelVersion, limit, strategy, corrected) {
      const key = `${modelVersion}\u0000${strategy}`;
      let entry = cache.get(key);
      if (!entry || Date.now() - entry.at > ttlMs) {
        entry = { at: Date.now(), items: readReviewQueue(db, modelVersion, REVIEW_LIMIT_MAX + SPARE, strategy) };
        cache.set(key, entry);
        // A failed read is not kept: the next call tries again.
        entry.items.catch(() => cache.delete(key));
      }
      return (await entry.items).filter((item) => !corrected(item.titleKey)).slice(0, limit);
    },
  };
}
