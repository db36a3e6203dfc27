/**
 * The static embeddings distilled from the sentence encoder: a title's vector is the normalized mean
 * of its pieces' rows, its pieces are cached per word and are those of the whole text, and the
 * distilled table keeps the encoder's sense of meaning across languages.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { defaultEncoderDir } from '../../src/classify/encoder.ts';
import { StaticEmbedder } from '../../src/classify/static-embedding.ts';
import { missingStaticTable } from '../helpers/required-services.ts';
import { prepareTitle } from '../helpers/text.ts';

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);

describe.skipIf(missingStaticTable('the static-embedding tests'))('static embeddings', () => {
  // Loaded by the first test that runs (the describe body runs even where it is skipped).
  let embedderPromise: Promise<StaticEmbedder> | undefined;
  const embed = async (titles: string[]) => {
    const embedder = await (embedderPromise ??= StaticEmbedder.load(defaultEncoderDir()));
    const { data, width } = embedder.features(titles.map((t) => prepareTitle(t)));
    return titles.map((_, r) => data.subarray(r * width, (r + 1) * width));
  };

  it('gives unit vectors, the same for the same text in any batch, and zeros for a title of no piece', async () => {
    const [a, b, c, empty] = await embed(['Senior Software Engineer', 'Leiterin Einkauf', 'senior software engineer', '   ']);
    expect(cosine(a!, a!)).toBeCloseTo(1, 5);
    expect(cosine(b!, b!)).toBeCloseTo(1, 5);
    expect(Array.from(c!)).toEqual(Array.from(a!)); // the text stage folds case first
    expect(empty!.every((v) => v === 0)).toBe(true);
    const [again] = await embed(['Senior Software Engineer']);
    expect(Array.from(again!)).toEqual(Array.from(a!));
  });

  it("splits words into the pieces the tokenizer's own trie gives, without keeping the trie", async () => {
    const embedder = await (embedderPromise ??= StaticEmbedder.load(defaultEncoderDir()));
    const dir = defaultEncoderDir();
    env.allowRemoteModels = false;
    env.localModelPath = `${dirname(dir)}/`;
    const library = await AutoTokenizer.from_pretrained(basename(dir), { local_files_only: true });
    // A tokenizer of its own, with the library's trie (not the embedder's, patched).
    expect((library as unknown as { _tokenizer: { model: { trie: object } } })._tokenizer.model.trie).toHaveProperty('root');
    const words = [
      ...readFileSync(fileURLToPath(new URL('../../examples/titles.csv', import.meta.url)), 'utf8').split(/[\s,;"]+/),
      'Geschäftsführerin', 'Responsable', 'Ingénieure', 'Développeur·se', 'Ŝefo', 'Менеджер', '営業部長', 'مدير', 'Ölförderung', '🚀Growth', 'x'.repeat(80), 'A&B', 'R&D-Leiter/in', '', '\u0301e',
    ];
    for (const word of words) {
      if (!word) continue;
      expect(embedder.pieces(word), word).toEqual(library.encode(word, { add_special_tokens: false }));
    }
  });

  it('keeps meaning across languages: a title is nearer its translation than an unrelated title', async () => {
    const pairs: [string, string, string][] = [
      ['Buchhalterin', 'comptable', 'Software Engineer'],
      ['Head of Purchasing', 'Leiter Einkauf', 'Kundenservice'],
      ['Sales Manager', 'Vertriebsleiter', 'Buchhalter'],
      ['Recruiter', 'chargée de recrutement', 'Java Developer'],
    ];
    for (const [title, translation, unrelated] of pairs) {
      const [t, near, far] = await embed([title, translation, unrelated]);
      expect(cosine(t!, near!), `${title} ~ ${translation} vs ${unrelated}`).toBeGreaterThan(cosine(t!, far!));
    }
  });
});
