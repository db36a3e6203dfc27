/**
 * The multilingual sentence encoder (multilingual-e5-small, converted by `npm run models:encoder`
 * into `models/encoder/`) run by Transformers.js from local files only, and the features the
 * encoder members read: the title's embedding followed by its cosine to every class description
 * of `config/concepts.json`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { env, pipeline, type FeatureExtractionPipeline } from '@huggingface/transformers';
import { z } from 'zod';
import { CLASSES, TASKS } from '../domain/labels.ts';
import type { PreparedTitle } from '../domain/prediction.ts';
import { describeIssues } from '../domain/profile.ts';
import { EmbeddingCache, type EmbeddingStore } from './embedding-cache.ts';

const EncoderInfoSchema = z.object({
  name: z.string(),
  version: z.string().min(1),
  dim: z.number().int().positive(),
  prefix: z.string(),
  pooling: z.literal('mean'),
  normalize: z.literal(true),
  dtype: z.enum(['fp32', 'q8']),
  onnxSha256: z.string(),
  source: z.string(),
  licence: z.string(),
});
export type EncoderInfo = z.infer<typeof EncoderInfoSchema>;

const ConceptsSchema = z.object({
  seniority: z.record(z.string(), z.array(z.string().min(1)).min(1)),
  department: z.record(z.string(), z.array(z.string().min(1)).min(1)),
});

const CONCEPTS_FILE = fileURLToPath(new URL('../../config/concepts.json', import.meta.url));

/** Where `npm run models:encoder` puts the encoder by default: models/encoder of this checkout. */
export function defaultEncoderDir(): string {
  return fileURLToPath(new URL('../../models/encoder', import.meta.url));
}

/** Called after each encoder batch: texts done so far, and all texts of the call. */
export type EncodeProgress = (done: number, total: number) => void;

/** Titles per encoder call: one padded tensor per batch, so batches are formed from similar lengths. */
const BATCH = 32;

/** Reads `dir/encoder.json`; null when the encoder was never installed there. */
export function readEncoderInfo(dir: string): EncoderInfo | null {
  const path = join(dir, 'encoder.json');
  if (!existsSync(path)) return null;
  const parsed = EncoderInfoSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path} is not a valid encoder description: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

export interface Concepts {
  concepts: z.infer<typeof ConceptsSchema>;
  sha256: string;
}

/** The concept descriptions and their hash (the manifest records it: edit → retrain). */
export function readConcepts(path = CONCEPTS_FILE): Concepts {
  const text = readFileSync(path, 'utf8');
  const parsed = ConceptsSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${path}: ${describeIssues(parsed.error)}`);
  for (const task of TASKS) {
    const missing = CLASSES[task].filter((c) => !parsed.data[task][c]);
    if (missing.length > 0) throw new Error(`${path}: ${task} has no description for ${missing.join(', ')}`);
  }
  return { concepts: parsed.data, sha256: createHash('sha256').update(text).digest('hex') };
}

/** Names of the encoder feature vector, in order (Python reads them from the dataset meta). */
export function encoderFeatureNames(dim: number): string[] {
  return [
    ...Array.from({ length: dim }, (_, i) => `emb_${i}`),
    ...TASKS.flatMap((task) => CLASSES[task].map((c) => `concept_${task}_${c}`)),
  ];
}

export class SentenceEncoder {
  private cache: EmbeddingCache;

  private constructor(
    readonly info: EncoderInfo,
    private readonly extract: FeatureExtractionPipeline,
    private readonly centroids: Float32Array[],
    readonly conceptsSha256: string,
  ) {
    this.cache = new EmbeddingCache({ encoderVersion: info.version, dim: info.dim });
  }

  /** Loads the encoder of `dir` (models/encoder) with remote models disabled, and embeds the concepts. */
  static async load(dir: string, { concepts, sha256 }: Concepts = readConcepts()): Promise<SentenceEncoder> {
    const info = readEncoderInfo(dir);
    if (!info) throw new Error(`${dir}/encoder.json is missing: run npm run models:encoder`);
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = `${dirname(dir)}/`;
    const extract = await pipeline('feature-extraction', basename(dir), {
      dtype: info.dtype,
      local_files_only: true,
      // One thread: the pipeline parallelizes across jobs and processes, not inside a batch. No
      // memory arena (see onnx-member.ts).
      session_options: { intraOpNumThreads: 1, interOpNumThreads: 1, enableCpuMemArena: false },
    });
    const encoder = new SentenceEncoder(info, extract, [], sha256);
    for (const task of TASKS) {
      for (const c of CLASSES[task]) encoder.centroids.push(meanDirection(await encoder.encode(concepts[task][c]!), info.dim));
    }
    return encoder;
  }

  /** Keeps embeddings in a shared store too (the title_embeddings table), besides the in-process LRU. */
  useStore(store: EmbeddingStore): void {
    this.cache = new EmbeddingCache({ encoderVersion: this.info.version, dim: this.info.dim, store });
  }

  cacheStats() {
    return this.cache.stats();
  }

  /** Features of each title, row-major [titles, width]: embedding, then concept cosines.
   * onProgress: see encode (counts the distinct titles the caches lacked). */
  async features(
    titles: readonly PreparedTitle[],
    onProgress?: EncodeProgress,
  ): Promise<{ data: Float32Array; width: number }> {
    const dim = this.info.dim;
    const width = dim + this.centroids.length;
    const vectors = await this.cache.embed(titles.map(titleKey), (missing) => this.encode(missing, onProgress));
    const data = new Float32Array(titles.length * width);
    vectors.forEach((v, r) => {
      data.set(v, r * width);
      this.centroids.forEach((c, k) => {
        data[r * width + dim + k] = dot(v, c);
      });
    });
    return { data, width };
  }

  /** Uncached embeddings of texts (the prefix is added here), L2-normalized. onProgress is called
   * after each batch with the texts done so far and their total (for long runs: dataset export). */
  async encode(texts: readonly string[], onProgress?: EncodeProgress): Promise<Float32Array[]> {
    const dim = this.info.dim;
    const order = texts.map((_, i) => i).sort((a, b) => texts[a]!.length - texts[b]!.length);
    const out: Float32Array[] = new Array(texts.length);
    for (let start = 0; start < order.length; start += BATCH) {
      const ids = order.slice(start, start + BATCH);
      const tensor = await this.extract(ids.map((i) => this.info.prefix + texts[i]), { pooling: 'mean', normalize: true });
      const data = tensor.data as Float32Array;
      ids.forEach((i, j) => {
        out[i] = data.slice(j * dim, (j + 1) * dim);
      });
      onProgress?.(start + ids.length, order.length);
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.extract.dispose();
  }
}

/** What the encoder reads of a title, and the cache key: the normalized text (case, gender forms,
 * abbreviations and the organization's name already handled by the text stage). */
export function titleKey(title: PreparedTitle): string {
  return title.normalized;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function meanDirection(vectors: Float32Array[], dim: number): Float32Array {
  const mean = new Float32Array(dim);
  for (const v of vectors) for (let i = 0; i < dim; i++) mean[i]! += v[i]!;
  const norm = Math.sqrt(dot(mean, mean)) || 1;
  for (let i = 0; i < dim; i++) mean[i]! /= norm;
  return mean;
}
