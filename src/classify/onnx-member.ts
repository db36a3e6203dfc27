/**
 * One trained ensemble member served by onnxruntime-node: an inference session per task, created
 * once per process, run on whole batches.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { TASKS, type Task } from '../domain/labels.ts';
import type { MemberSpec } from './manifest.ts';

/** What a batch of titles looks like to the members. */
export interface FeatureBatch {
  size: number;
  ngrams: string[][];
  /** Row-major [size, features], NaN = missing. */
  dense: Float32Array;
  denseWidth: number;
  /** Sentence-encoder features, row-major [size, width]; absent where the encoder is not loaded. */
  encoder?: SemanticFeatures;
  /** Static embeddings, row-major [size, width]; absent where the static table is not loaded. */
  static?: SemanticFeatures;
}

/** The inputs computed from models/encoder, which a batch carries only where they are needed. */
export type SemanticInput = 'encoder' | 'static';
export interface SemanticFeatures {
  data: Float32Array;
  width: number;
}

/** A labeled training title near the scored one (nearest-neighbour members). */
export interface Neighbour {
  title: string;
  label: string;
  similarity: number;
}

/** Probabilities per task, row-major [size, classes]; nearest-neighbour members add their neighbours. */
export type MemberOutput = Record<Task, Float32Array> & { neighbours?: Record<Task, Neighbour[][]> };

export class OnnxMember {
  private constructor(
    readonly name: string,
    private readonly spec: MemberSpec,
    private readonly sessions: Record<Task, ort.InferenceSession>,
    private readonly vocabulary: Map<string, number> | null,
    private readonly neighbourTitles: Record<Task, [string, string][]> | null,
  ) {}

  static async load(dir: string, spec: MemberSpec): Promise<OnnxMember> {
    // One thread per session: the pipeline parallelizes across jobs and processes, not inside a batch.
    // No memory arena: it keeps the peak of the largest batch ever seen (the neighbour member's
    // similarity matrix is titles x index rows), 200 MB more after 20,000 titles, for no speed gain.
    const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, enableCpuMemArena: false };
    const entries = await Promise.all(
      TASKS.map(async (task) => [task, await ort.InferenceSession.create(join(dir, spec.files[task]), options)] as const),
    );
    const sessions = Object.fromEntries(entries) as Record<Task, ort.InferenceSession>;
    let vocabulary: Map<string, number> | null = null;
    if (spec.input === 'ngrams') {
      const terms = JSON.parse(readFileSync(join(dir, spec.vocabulary!), 'utf8')) as string[];
      // Index 0 is the padding row of the weight matrix; terms start at 1.
      vocabulary = new Map(terms.map((term, i) => [term, i + 1]));
    }
    let neighbourTitles: Record<Task, [string, string][]> | null = null;
    if (spec.neighbours) {
      const files = spec.neighbours;
      neighbourTitles = Object.fromEntries(
        TASKS.map((task) => [task, JSON.parse(readFileSync(join(dir, files[task]), 'utf8')) as [string, string][]]),
      ) as Record<Task, [string, string][]>;
    }
    return new OnnxMember(spec.name, spec, sessions, vocabulary, neighbourTitles);
  }

  get input(): MemberSpec['input'] {
    return this.spec.input;
  }

  async predict(batch: FeatureBatch): Promise<MemberOutput> {
    const feeds = this.spec.input === 'ngrams' ? this.ngramFeeds(batch) : this.denseFeeds(batch);
    const outputs = await Promise.all(TASKS.map((task) => this.sessions[task].run(feeds)));
    const result: MemberOutput = { seniority: probabilities(outputs[0]!), department: probabilities(outputs[1]!) };
    const titles = this.neighbourTitles;
    if (titles) {
      result.neighbours = Object.fromEntries(
        TASKS.map((task, i) => [task, neighboursOf(outputs[i]!, titles[task], batch.size)]),
      ) as Record<Task, Neighbour[][]>;
    }
    return result;
  }

  private denseFeeds(batch: FeatureBatch): Record<string, ort.Tensor> {
    const input = this.spec.input;
    if (input === 'encoder' || input === 'static') {
      const features = batch[input];
      if (!features) throw new Error(`member ${this.name} needs ${input === 'encoder' ? 'sentence-encoder' : 'static'} features, and the batch has none`);
      return { dense: new ort.Tensor('float32', features.data, [batch.size, features.width]) };
    }
    return { dense: new ort.Tensor('float32', batch.dense, [batch.size, batch.denseWidth]) };
  }

  /** Known n-grams as vocabulary indices, padded to the longest row; values 1/sqrt(known count). */
  private ngramFeeds(batch: FeatureBatch): Record<string, ort.Tensor> {
    const vocabulary = this.vocabulary!;
    const rows = batch.ngrams.map((grams) => {
      // titleNgrams yields each n-gram once, so the ids are distinct already.
      const ids: number[] = [];
      for (const g of grams) {
        const id = vocabulary.get(g);
        if (id !== undefined) ids.push(id);
      }
      return ids.sort((a, b) => a - b);
    });
    let width = 1;
    for (const r of rows) width = Math.max(width, r.length);
    const idx = new Int32Array(batch.size * width);
    const val = new Float32Array(batch.size * width);
    rows.forEach((ids, r) => {
      const v = ids.length > 0 ? 1 / Math.sqrt(ids.length) : 0;
      idx.set(ids, r * width);
      val.fill(v, r * width, r * width + ids.length);
    });
    return { idx: new ort.Tensor('int32', idx, [batch.size, width]), val: new ort.Tensor('float32', val, [batch.size, width]) };
  }
}

/** Neighbours kept in an explanation: `classify` prints five, the page three. The member votes with
 * all k (10) of them; keeping every one in each stored prediction and cached answer cost memory and
 * storage for nothing shown. */
const NEIGHBOURS_SHOWN = 5;

/** The `neighbours` (index rows) and `similarities` outputs, best first, as titles and labels. */
function neighboursOf(output: ort.InferenceSession.OnnxValueMapType, titles: [string, string][], size: number): Neighbour[][] {
  const rows = output.neighbours!.data as BigInt64Array;
  const sims = output.similarities!.data as Float32Array;
  const k = rows.length / size;
  return Array.from({ length: size }, (_, r) =>
    Array.from({ length: Math.min(k, NEIGHBOURS_SHOWN) }, (_, j) => {
      const [title, label] = titles[Number(rows[r * k + j])]!;
      return { title, label, similarity: sims[r * k + j]! };
    }),
  );
}

function probabilities(output: ort.InferenceSession.OnnxValueMapType): Float32Array {
  return output.probabilities!.data as Float32Array;
}
