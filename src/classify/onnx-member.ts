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
}

/** Probabilities per task, row-major [size, classes]. */
export type MemberOutput = Record<Task, Float32Array>;

export class OnnxMember {
  private constructor(
    readonly name: string,
    private readonly spec: MemberSpec,
    private readonly sessions: Record<Task, ort.InferenceSession>,
    private readonly vocabulary: Map<string, number> | null,
  ) {}

  static async load(dir: string, spec: MemberSpec): Promise<OnnxMember> {
    // One thread per session: the pipeline parallelizes across jobs and processes, not inside a batch.
    const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
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
    return new OnnxMember(spec.name, spec, sessions, vocabulary);
  }

  async predict(batch: FeatureBatch): Promise<MemberOutput> {
    const feeds = this.spec.input === 'dense' ? this.denseFeeds(batch) : this.ngramFeeds(batch);
    const outputs = await Promise.all(TASKS.map((task) => this.sessions[task].run(feeds)));
    return Object.fromEntries(TASKS.map((task, i) => [task, outputs[i]!.probabilities!.data as Float32Array])) as MemberOutput;
  }

  private denseFeeds(batch: FeatureBatch): Record<string, ort.Tensor> {
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
