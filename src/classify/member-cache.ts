/**
 * Each member runs once per distinct input, ever (up to an LRU's capacity): a member's output is a
 * function of its input row alone, so rows with the same input share one output, within a batch
 * and across batches. The key is a hash of exactly what the member reads:
 * - n-gram members: the title's n-grams (so "Senior Developer" and "senior developer" are one);
 * - the encoder and static members: the encoder's text of the title (`titleKey`), so a cached
 *   output also saves the embedding;
 * - the dense (context) member: the bytes of its feature row, which hold the profile context.
 * Real streams repeat titles heavily; the title-only members, the encoder's included, then run on
 * each title once, and only the cheap context member runs per position.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { TASKS, CLASSES, type Task } from '../domain/labels.ts';
import type { PreparedTitle } from '../domain/prediction.ts';
import { titleKey } from './encoder.ts';
import type { MemberSpec } from './manifest.ts';
import type { FeatureBatch, MemberOutput, Neighbour, OnnxMember, SemanticFeatures, SemanticInput } from './onnx-member.ts';

/** The semantic features (encoder or static) of the titles at the given rows of a batch. */
export type SemanticFeaturesOf = (input: SemanticInput, rows: number[]) => Promise<SemanticFeatures>;

/** One row of a member's output: both tasks' probabilities in one array (seniority's classes, then
 * department's), which takes a third of the memory of one typed array per task. */
interface RowOutput {
  probabilities: Float32Array;
  neighbours?: Record<Task, Neighbour[]>;
}

/** Where each task's probabilities start in a RowOutput's array. */
const OFFSET: Record<Task, number> = { seniority: 0, department: CLASSES.seniority.length };
const ROW_WIDTH = CLASSES.seniority.length + CLASSES.department.length;

/** Outputs kept per member (default): about 112 MB for the four shipped members together when full
 * (measured; static_knn's entries hold their neighbours). */
const DEFAULT_MEMBER_CACHE_ENTRIES = 50_000;

/**
 * Rows per member run. A neighbour member's run holds [rows x index] similarity tensors (512 rows x
 * 10,000 titles: 20 MB each), and without ONNX Runtime's arena (onnx-member.ts) every run took such
 * blocks fresh from the kernel; at 128 rows malloc reuses them, and static_knn ran 2.5x faster
 * (46 -> 18 ms per 512 titles and task, one core). The other members barely notice.
 */
const ROWS_PER_RUN = 128;

export interface MemberCacheStats {
  /** Rows asked for, and rows the member actually ran on (distinct inputs the cache lacked). */
  rows: number;
  computed: number;
}

export class MemberCache {
  private readonly lru: LRUCache<string, RowOutput>;
  private readonly counts: MemberCacheStats = { rows: 0, computed: 0 };

  constructor(
    readonly member: OnnxMember,
    maxEntries = DEFAULT_MEMBER_CACHE_ENTRIES,
  ) {
    this.lru = new LRUCache({ max: maxEntries });
  }

  stats(): MemberCacheStats {
    return { ...this.counts };
  }

  /**
   * The member's output for every row of `batch`, running it only on the distinct inputs not
   * cached. `semanticFeatures` supplies the encoder or static features of the titles at the given
   * rows (a member reading them asks only for the rows it computes).
   */
  async predict(batch: FeatureBatch, titles: readonly PreparedTitle[], semanticFeatures: SemanticFeaturesOf): Promise<MemberOutput> {
    const keys = keysOf(batch, titles, this.member.input);
    // This batch's outputs by key (null: not cached, computed below from its first row): an LRU
    // too small for one batch still serves all of it.
    const found = new Map<string, RowOutput | null>();
    const missing: number[] = [];
    keys.forEach((key, r) => {
      if (found.has(key)) return;
      const cached = this.lru.get(key) ?? null;
      found.set(key, cached);
      if (!cached) missing.push(r);
    });
    this.counts.rows += batch.size;
    this.counts.computed += missing.length;
    const input = this.member.input;
    for (let start = 0; start < missing.length; start += ROWS_PER_RUN) {
      const chunk = missing.slice(start, start + ROWS_PER_RUN);
      const rows = selectRows(batch, chunk);
      if (input === 'encoder' || input === 'static') rows[input] = await semanticFeatures(input, chunk);
      const output = await this.member.predict(rows);
      chunk.forEach((r, j) => {
        const row = rowOf(output, j);
        this.lru.set(keys[r]!, row);
        found.set(keys[r]!, row);
      });
    }
    return assemble(keys.map((k) => found.get(k)!));
  }
}

/** Each batch's keys per input, so the members reading one input (the two n-gram members) hash it once. */
const batchKeys = new WeakMap<FeatureBatch, Map<MemberSpec['input'], string[]>>();

function keysOf(batch: FeatureBatch, titles: readonly PreparedTitle[], input: MemberSpec['input']): string[] {
  let byInput = batchKeys.get(batch);
  if (!byInput) batchKeys.set(batch, (byInput = new Map()));
  let keys = byInput.get(input);
  if (!keys) byInput.set(input, (keys = Array.from({ length: batch.size }, (_, r) => inputKey(input, batch, titles, r))));
  return keys;
}

/**
 * The SHA-1 of a row's input, 27 characters: a title's n-grams run to a kilobyte, and 100,000 such
 * keys per member made most of a long-running scorer's memory.
 */
function inputKey(input: MemberSpec['input'], batch: FeatureBatch, titles: readonly PreparedTitle[], r: number): string {
  const hash = createHash('sha1');
  switch (input) {
    case 'ngrams':
      hash.update(batch.ngrams[r]!.join('\u0000'));
      break;
    case 'encoder':
    case 'static':
      hash.update(titleKey(titles[r]!));
      break;
    default: {
      const w = batch.denseWidth;
      hash.update(new Uint8Array(batch.dense.buffer, batch.dense.byteOffset + r * w * 4, w * 4));
    }
  }
  return hash.digest('base64').slice(0, 27);
}

/** The rows `rows` of a batch, as a batch without semantic features (the caller adds them). */
export function selectRows(batch: FeatureBatch, rows: number[]): FeatureBatch {
  const w = batch.denseWidth;
  const dense = new Float32Array(rows.length * w);
  rows.forEach((r, j) => dense.set(batch.dense.subarray(r * w, (r + 1) * w), j * w));
  return { size: rows.length, ngrams: rows.map((r) => batch.ngrams[r]!), dense, denseWidth: w };
}

function rowOf(output: MemberOutput, j: number): RowOutput {
  const probabilities = new Float32Array(ROW_WIDTH);
  for (const task of TASKS) {
    const c = CLASSES[task].length;
    probabilities.set(output[task].subarray(j * c, (j + 1) * c), OFFSET[task]);
  }
  const neighbours = output.neighbours;
  return neighbours
    ? { probabilities, neighbours: Object.fromEntries(TASKS.map((task) => [task, neighbours[task][j]!])) as Record<Task, Neighbour[]> }
    : { probabilities };
}

function assemble(rows: readonly RowOutput[]): MemberOutput {
  const out: MemberOutput = Object.fromEntries(
    TASKS.map((task) => {
      const c = CLASSES[task].length;
      const data = new Float32Array(rows.length * c);
      rows.forEach((row, r) => data.set(row.probabilities.subarray(OFFSET[task], OFFSET[task] + c), r * c));
      return [task, data];
    }),
  ) as Record<Task, Float32Array>;
  if (rows[0]?.neighbours) {
    out.neighbours = Object.fromEntries(TASKS.map((task) => [task, rows.map((row) => row.neighbours![task])])) as Record<Task, Neighbour[][]>;
  }
  return out;
}
