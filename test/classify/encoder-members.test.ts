/**
 * The ensemble's encoder members in service, and the ensemble without them: where models/encoder
 * is absent or holds another encoder version, it serves the pool fitted without the encoder
 * members, says so (status, log) and every prediction lists the members that decided it.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { EnsembleClassifier } from '../../src/classify/ensemble.ts';
import { classifierStatus } from '../../src/classify/load-classifier.ts';
import { shareEmbeddings } from '../../src/store/model-registration.ts';
import { loadManifest } from '../../src/classify/manifest.ts';
import { logger } from '../../src/logger.ts';
import { openDatabase, queryRows } from '../../src/store/db.ts';
import { missingEncoder } from '../helpers/required-services.ts';
import { keywordConfig, prepareTitle } from '../helpers/text.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
// A model with encoder members: the shipped one, or the reduced one CI trains.
const modelDir = [join(root, 'models'), process.env.EXTRA_MODELS_DIR].find(
  (dir): dir is string => !!dir && existsSync(join(dir, 'manifest.json')) && loadManifest(dir, keywordConfig).encoder !== null,
);
const encoderInstalled = !missingEncoder('the encoder members served with the sentence encoder');

it.runIf(process.env.CI)('CI has a model with encoder members to test', () => {
  expect(modelDir).toBeDefined();
});

describe.runIf(modelDir)('encoder members', () => {
  const dir = modelDir!;
  const titles = ['Buchhalterin', 'comptable', 'Head of Purchasing'].map((t) => prepareTitle(t));
  const scratch = mkdtempSync(join(tmpdir(), 'cv-encoder-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it.runIf(encoderInstalled)('serve with the encoder: members, neighbours and the explanation', async () => {
    const ensemble = await EnsembleClassifier.load(dir, keywordConfig, { encoderMode: 'full' });
    expect(ensemble.encoderStatus.state).toBe('loaded');
    const [prediction] = await ensemble.classify([titles[0]!]);
    for (const task of ['seniority', 'department'] as const) {
      const p = prediction![task];
      expect(Object.keys(p.members!)).toEqual(ensemble.servedMembers(task));
      expect(Object.keys(p.members!)).toContain('encoder_knn');
      expect(p.neighbours!.length).toBeGreaterThan(0);
      const sims = p.neighbours!.map((n) => n.similarity);
      expect(sims).toEqual([...sims].sort((a, b) => b - a));
      if (p.source === 'ensemble') expect(p.why).toContain('nearest: ');
    }
    expect(classifierStatus(ensemble).encoder!.state).toBe('loaded');
  });

  it.runIf(encoderInstalled)('share embeddings through the title_embeddings table: a second scorer encodes nothing again', async () => {
    const database = await openDatabase({ pgliteDir: 'memory://' });
    try {
      await database.migrate();
      // Every title through the encoder (the cascade would skip the confident ones).
      const first = await EnsembleClassifier.load(dir, keywordConfig, { encoderMode: 'full' });
      shareEmbeddings(first, database.db);
      await first.classify(titles);
      const rows = await queryRows<{ n: number; version: string }>(
        database.db,
        sql`select count(*)::int as n, min(encoder_version) as version from title_embeddings`,
      );
      expect(rows[0]).toEqual({ n: titles.length, version: loadManifest(dir, keywordConfig).encoder!.version });
      const second = await EnsembleClassifier.load(dir, keywordConfig, { encoderMode: 'full' });
      shareEmbeddings(second, database.db);
      await second.classify(titles);
      expect(second.embeddingCacheStats()).toEqual({ lruHits: 0, storeHits: titles.length, computed: 0 });
    } finally {
      await database.close();
    }
  });

  it('serve without the encoder where it is absent, say so once, and name the deciding members', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const ensemble = await EnsembleClassifier.load(dir, keywordConfig, { encoderDir: join(scratch, 'absent') });
    expect(ensemble.encoderStatus.state).toBe('absent');
    expect(ensemble.encoderStatus.detail).toContain('npm run models:encoder');
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
    expect(classifierStatus(ensemble)).toEqual({ modelVersion: ensemble.modelVersion, encoder: ensemble.encoderStatus });
    const predictions = await ensemble.classify(titles);
    for (const p of predictions) {
      for (const task of ['seniority', 'department'] as const) {
        const members = Object.keys(p[task].members!);
        expect(members).toEqual(ensemble.servedMembers(task));
        expect(members.some((m) => m.startsWith('encoder_'))).toBe(false);
        expect(p[task].neighbours).toBeUndefined();
        expect(p[task].why).toContain('without the sentence encoder');
      }
    }
  });

  it.runIf(encoderInstalled)('ENCODER_MODE=off: never load the encoder, serve the pool without it, say so', async () => {
    const ensemble = await EnsembleClassifier.load(dir, keywordConfig, { encoderMode: 'off' });
    expect(ensemble.encoderStatus.state).toBe('off');
    expect(ensemble.encoderStatus.detail).toContain('ENCODER_MODE=off');
    expect(ensemble.embeddingCacheStats()).toBeNull();
    const pools = ensemble.manifest.ensemble;
    const predictions = await ensemble.classify(titles);
    for (const task of ['seniority', 'department'] as const) {
      expect(ensemble.escalationMembers(task)).toBeNull();
      expect(ensemble.servedMembers(task)).toEqual((pools[task].cascade ?? pools[task].withoutEncoder)!.members);
      for (const p of predictions) expect(Object.keys(p[task].members!).some((m) => m.startsWith('encoder_'))).toBe(false);
    }
  });

  it('treat another encoder version as absent, not as a silent mix', async () => {
    const other = join(scratch, 'other');
    mkdirSync(other);
    const wanted = loadManifest(dir, keywordConfig).encoder!;
    writeFileSync(
      join(other, 'encoder.json'),
      JSON.stringify({ name: 'multilingual-e5-small', version: `${wanted.version}-other`, dim: 384, prefix: 'query: ', pooling: 'mean', normalize: true, dtype: 'q8', onnxSha256: '0', source: 'test', licence: 'MIT' }),
    );
    const ensemble = await EnsembleClassifier.load(dir, keywordConfig, { encoderDir: other });
    expect(ensemble.encoderStatus).toEqual({ state: 'mismatch', detail: expect.stringContaining(wanted.version) });
    const [p] = await ensemble.classify([titles[1]!]);
    expect(Object.keys(p!.department.members!).some((m) => m.startsWith('encoder_'))).toBe(false);
  });
});
