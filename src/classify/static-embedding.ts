/**
 * Static embeddings distilled from the sentence encoder (training/encoder/distill_static.py, run by
 * `npm run models:encoder` into models/encoder/static/): one int8 row per tokenizer piece, and a
 * title's embedding is the L2-normalized mean of its pieces' rows. It costs a tokenizer pass and a
 * few additions instead of a 12-layer transformer: what lets the semantic view run on every title.
 * The encoder's text of the title (`titleKey`) is read, without the "query: " prefix.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { PreparedTitle } from '../domain/prediction.ts';
import { describeIssues } from '../domain/profile.ts';
import { titleKey } from './encoder.ts';

const StaticInfoSchema = z.object({
  version: z.string().min(1),
  rows: z.number().int().positive(),
  dim: z.number().int().positive(),
  encoderVersion: z.string().min(1),
});
export type StaticInfo = z.infer<typeof StaticInfoSchema>;

/** Words whose pieces are kept: a title is mostly words seen before, and the tokenizer is the cost. */
const WORD_CACHE_ENTRIES = 200_000;

/** Reads `encoderDir/static/static.json`; null when the table was never distilled there. */
export function readStaticInfo(encoderDir: string): StaticInfo | null {
  const path = join(encoderDir, 'static', 'static.json');
  if (!existsSync(path)) return null;
  const parsed = StaticInfoSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path} is not a valid static-embedding description: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

export class StaticEmbedder {
  private readonly words = new LRUCache<string, Int32Array>({ max: WORD_CACHE_ENTRIES });

  private constructor(
    readonly info: StaticInfo,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly table: Int8Array,
    private readonly scales: Float32Array,
  ) {}

  /** Loads the table of `encoderDir/static` and the encoder's tokenizer, from local files only. */
  static async load(encoderDir: string): Promise<StaticEmbedder> {
    const info = readStaticInfo(encoderDir);
    if (!info) throw new Error(`${encoderDir}/static/static.json is missing: run npm run models:encoder`);
    const dir = join(encoderDir, 'static');
    const raw = readFileSync(join(dir, 'embeddings.i8'));
    const table = new Int8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    const scaleBytes = readFileSync(join(dir, 'scales.f32'));
    const scales = new Float32Array(scaleBytes.buffer.slice(scaleBytes.byteOffset, scaleBytes.byteOffset + scaleBytes.byteLength));
    if (table.length !== info.rows * info.dim || scales.length !== info.rows) {
      throw new Error(`${dir}: the table holds ${table.length} values and ${scales.length} scales, static.json says ${info.rows} x ${info.dim}`);
    }
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = `${dirname(encoderDir)}/`;
    const tokenizer = await AutoTokenizer.from_pretrained(basename(encoderDir), { local_files_only: true });
    compactPrefixSearch(tokenizer);
    return new StaticEmbedder(info, tokenizer, table, scales);
  }

  /** The tokenizer's pieces of a word (ids), as the static table reads them. */
  pieces(word: string): readonly number[] {
    return Array.from(this.piecesOf(word));
  }

  /** Embeddings of the titles, row-major [titles, dim]; a title of no known piece is all zeros. */
  features(titles: readonly PreparedTitle[]): { data: Float32Array; width: number } {
    const dim = this.info.dim;
    const data = new Float32Array(titles.length * dim);
    titles.forEach((title, r) => this.embed(titleKey(title), data.subarray(r * dim, (r + 1) * dim)));
    return { data, width: dim };
  }

  /** The mean of the text's pieces' rows, L2-normalized, into `out`. */
  private embed(text: string, out: Float32Array): void {
    const dim = this.info.dim;
    let pieces = 0;
    // The tokenizer splits on whitespace before it cuts pieces (Metaspace), so a word's pieces do
    // not depend on its neighbours and can be cached per word.
    for (const word of text.split(/\s+/)) {
      if (word === '') continue;
      for (const id of this.piecesOf(word)) {
        const scale = this.scales[id]!;
        const row = id * dim;
        for (let i = 0; i < dim; i++) out[i]! += this.table[row + i]! * scale;
        pieces += 1;
      }
    }
    if (pieces === 0) return;
    let norm = 0;
    for (let i = 0; i < dim; i++) norm += out[i]! * out[i]!;
    norm = Math.sqrt(norm);
    if (norm > 0) for (let i = 0; i < dim; i++) out[i]! /= norm;
  }

  private piecesOf(word: string): Int32Array {
    let ids = this.words.get(word);
    if (!ids) {
      ids = Int32Array.from(this.tokenizer.encode(word, { add_special_tokens: false }));
      this.words.set(word, ids);
    }
    return ids;
  }
}

/** What the Unigram model of @huggingface/tokenizers keeps of its vocabulary (not exported by it). */
interface UnigramModel {
  tokens_to_ids: Map<string, number>;
  trie: { common_prefix_search(chars: string[], start?: number): Iterable<string> };
}

/**
 * The Unigram model asks its CharTrie one thing: the vocabulary pieces that begin at a position of
 * the text, shortest first. Its token map answers the same from prefixes of at most the longest
 * piece's length, and the trie of 250,000 pieces (117 MB, a quarter of a loaded scorer) is dropped.
 * Characters are code points, as the trie and the lattice split them. A model that is not this one
 * keeps its trie. test/classify/static-embedding.test.ts checks the pieces equal the trie's.
 */
export function compactPrefixSearch(tokenizer: PreTrainedTokenizer): void {
  const model = (tokenizer as unknown as { _tokenizer?: { model?: Partial<UnigramModel> } })._tokenizer?.model;
  if (!model?.trie || typeof model.trie.common_prefix_search !== 'function' || !(model.tokens_to_ids instanceof Map)) return;
  const ids = model.tokens_to_ids;
  let longest = 0;
  for (const piece of ids.keys()) longest = Math.max(longest, [...piece].length);
  model.trie = {
    *common_prefix_search(chars: string[], start = 0) {
      let prefix = '';
      for (let i = start; i < chars.length && i - start < longest; i++) {
        prefix += chars[i];
        if (ids.has(prefix)) yield prefix;
      }
    },
  };
}
