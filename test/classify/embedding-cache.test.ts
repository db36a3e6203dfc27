import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql } from 'drizzle-orm';
import { EmbeddingCache, type EmbeddingStore } from '../../src/classify/embedding-cache.ts';
import { PostgresEmbeddingStore } from '../../src/store/embedding-store.ts';
import { type Database, queryRows } from '../../src/store/db.ts';
import { testDatabaseKinds } from '../helpers/databases.ts';

const DIM = 384;

/** A deterministic, distinct vector per key (values exactly representable as float32). */
function vectorOf(key: string, dim = DIM): Float32Array {
  let seed = 7;
  for (const ch of key) seed = (seed * 31 + ch.codePointAt(0)!) % 1_000_003;
  return Float32Array.from({ length: dim }, (_, i) => Math.sin(seed + i * 0.37));
}

/** A compute function that records what it was asked for. */
function encoder(dim = DIM) {
  return vi.fn(async (missing: string[]) => missing.map((key) => vectorOf(key, dim)));
}

/** An EmbeddingStore in memory that records its calls. */
class MemoryStore implements EmbeddingStore {
  readonly rows = new Map<string, Float32Array>();
  readonly loads: string[][] = [];
  readonly saves: string[][] = [];
  async load(encoderVersion: string, keys: string[]) {
    this.loads.push(keys);
    const out = new Map<string, Float32Array>();
    for (const key of keys) {
      const vector = this.rows.get(`${encoderVersion}\u0000${key}`);
      if (vector) out.set(key, vector);
    }
    return out;
  }
  async save(encoderVersion: string, entries: ReadonlyMap<string, Float32Array>) {
    this.saves.push([...entries.keys()]);
    for (const [key, vector] of entries) this.rows.set(`${encoderVersion}\u0000${key}`, vector);
  }
}

describe('EmbeddingCache', () => {
  it('serves a repeated title from the LRU without computing it again', async () => {
    const cache = new EmbeddingCache({ encoderVersion: 'e1', dim: DIM });
    const compute = encoder();
    const [first] = await cache.embed(['Senior Engineer'], compute);
    const [second] = await cache.embed(['Senior Engineer'], compute);
    expect(compute).toHaveBeenCalledTimes(1);
    expect(second).toBe(first);
    expect(cache.stats()).toEqual({ lruHits: 1, storeHits: 0, computed: 1 });
  });

  it('loads LRU misses from the store in one batch and computes only what the store lacks', async () => {
    const store = new MemoryStore();
    await new EmbeddingCache({ encoderVersion: 'e1', dim: DIM, store }).embed(['a', 'b'], encoder());
    const cache = new EmbeddingCache({ encoderVersion: 'e1', dim: DIM, store });
    const compute = encoder();
    const vectors = await cache.embed(['a', 'b', 'c'], compute);
    expect(store.loads.at(-1)).toEqual(['a', 'b', 'c']);
    expect(compute.mock.calls).toEqual([[['c']]]);
    expect(store.saves.at(-1)).toEqual(['c']);
    expect(vectors).toEqual(['a', 'b', 'c'].map((k) => vectorOf(k)));
    expect(cache.stats()).toEqual({ lruHits: 0, storeHits: 2, computed: 1 });
    // the store hits are in the LRU now
    await cache.embed(['a', 'b'], compute);
    expect(store.loads).toHaveLength(2);
    expect(cache.stats().lruHits).toBe(2);
  });

  it('computes each distinct title of a batch once and keeps the order of the keys', async () => {
    const store = new MemoryStore();
    const cache = new EmbeddingCache({ encoderVersion: 'e1', dim: DIM, store });
    await cache.embed(['lru'], encoder());
    store.rows.set('e1\u0000stored', vectorOf('stored'));
    const compute = encoder();
    const keys = ['new', 'stored', 'lru', 'new', 'other', 'stored', 'new'];
    const vectors = await cache.embed(keys, compute);
    expect(compute.mock.calls).toEqual([[['new', 'other']]]);
    expect(store.loads.at(-1)).toEqual(['new', 'stored', 'other']);
    expect(vectors).toEqual(keys.map((k) => vectorOf(k)));
    expect(vectors[0]).toBe(vectors[3]);
    expect(cache.stats()).toEqual({ lruHits: 1, storeHits: 1, computed: 3 });
  });

  it('calls neither the store nor compute for an empty batch', async () => {
    const store = new MemoryStore();
    const compute = encoder();
    expect(await new EmbeddingCache({ encoderVersion: 'e1', dim: DIM, store }).embed([], compute)).toEqual([]);
    expect(compute).not.toHaveBeenCalled();
    expect(store.loads).toEqual([]);
  });

  it('rejects a computed vector of the wrong length, and caches nothing from that batch', async () => {
    const store = new MemoryStore();
    const cache = new EmbeddingCache({ encoderVersion: 'e1', dim: DIM, store });
    await expect(cache.embed(['a', 'b'], encoder(383))).rejects.toThrow(
      'embedding cache: compute gave a vector for "a" of length 383, expected Float32Array of length 384 (encoder e1)',
    );
    expect(store.saves).toEqual([]);
    const compute = encoder();
    await cache.embed(['a'], compute);
    expect(compute).toHaveBeenCalledTimes(1);
  });

  it('rejects compute returning a different number of vectors than keys', async () => {
    const cache = new EmbeddingCache({ encoderVersion: 'e1', dim: DIM });
    await expect(cache.embed(['a', 'b'], async () => [vectorOf('a')])).rejects.toThrow(
      'embedding cache: compute returned 1 vectors for 2 keys',
    );
  });

  it('rejects a stored vector of the wrong length', async () => {
    const store = new MemoryStore();
    store.rows.set('e1\u0000a', vectorOf('a', 768));
    const cache = new EmbeddingCache({ encoderVersion: 'e1', dim: DIM, store });
    await expect(cache.embed(['a'], encoder())).rejects.toThrow('embedding cache: the store gave a vector for "a" of length 768');
  });

  it('evicts the least recently used title beyond maxEntries', async () => {
    const cache = new EmbeddingCache({ encoderVersion: 'e1', dim: DIM, maxEntries: 2 });
    const compute = encoder();
    await cache.embed(['a', 'b'], compute);
    await cache.embed(['a'], compute); // a is now the most recently used
    await cache.embed(['c'], compute); // evicts b
    await cache.embed(['a', 'b'], compute);
    expect(compute.mock.calls.map(([keys]) => keys)).toEqual([['a', 'b'], ['c'], ['b']]);
    expect(cache.stats()).toEqual({ lruHits: 2, storeHits: 0, computed: 4 });
  });

  it('never serves one encoder version the vectors of another', async () => {
    const store = new MemoryStore();
    await new EmbeddingCache({ encoderVersion: 'e1', dim: DIM, store }).embed(['a'], encoder());
    const other = new EmbeddingCache({ encoderVersion: 'e2', dim: DIM, store });
    const compute = encoder();
    await other.embed(['a'], compute);
    expect(compute.mock.calls).toEqual([[['a']]]);
    expect(other.stats()).toEqual({ lruHits: 0, storeHits: 0, computed: 1 });
  });

  it('propagates a store failure, naming the embedding cache, and keeps an unsaved vector out of the LRU', async () => {
    const broken: EmbeddingStore = {
      load: async () => new Map(),
      save: async () => {
        throw new Error('connection refused');
      },
    };
    const cache = new EmbeddingCache({ encoderVersion: 'e1', dim: DIM, store: broken });
    await expect(cache.embed(['a'], encoder())).rejects.toThrow(
      'embedding cache: store save of 1 vectors failed (encoder e1): connection refused',
    );
    const failingLoad = new EmbeddingCache({
      encoderVersion: 'e1',
      dim: DIM,
      store: { ...broken, load: async () => Promise.reject(new Error('timeout')) },
    });
    await expect(failingLoad.embed(['a'], encoder())).rejects.toThrow('embedding cache: store load of 1 vectors failed (encoder e1): timeout');
    const compute = encoder();
    await expect(cache.embed(['a'], compute)).rejects.toThrow('store save');
    expect(compute).toHaveBeenCalledTimes(1);
  });
});

const oddKeys = [
  'Geschäftsführerin (m/w/d)',
  "Responsable d'équipe « support »",
  'O\'Brien "the boss" \\ backslash',
  "'); drop table x; --",
  "x'); DROP TABLE title_embeddings; --",
  'مدير المبيعات',
  '営業部長',
  '👩‍💻 dev lead',
  'e\u0301quipe', // combining accent: a different key than 'équipe'
  'équipe',
  '',
];

describe.each(testDatabaseKinds)('PostgresEmbeddingStore on $name', (kind) => {
  let database: Database;
  let dispose: () => Promise<void>;
  let store: PostgresEmbeddingStore;
  beforeAll(async () => {
    ({ database, dispose } = await kind.open());
    store = new PostgresEmbeddingStore(database.db);
  });
  afterAll(async () => dispose());

  it('round-trips vectors bit for bit under odd Unicode, quotes and injection strings', async () => {
    const entries = new Map(oddKeys.map((k) => [k, vectorOf(k)]));
    await store.save('enc-a', entries);
    const loaded = await store.load('enc-a', [...oddKeys, 'never stored']);
    expect([...loaded.keys()].sort()).toEqual([...oddKeys].sort());
    for (const key of oddKeys) expect(loaded.get(key)).toEqual(entries.get(key));
    const [row] = await queryRows<{ n: number; bytes: number }>(
      database.db,
      sql`select count(*)::int as n, max(octet_length(embedding))::int as bytes from title_embeddings`,
    );
    expect(row).toEqual({ n: oddKeys.length, bytes: DIM * 4 });
  });

  it('stores little-endian float32', async () => {
    await store.save('enc-le', new Map([['one', Float32Array.of(1, -2)]]));
    const [row] = await queryRows<{ hex: string }>(
      database.db,
      sql`select encode(embedding, 'hex') as hex from title_embeddings where encoder_version = 'enc-le'`,
    );
    expect(row?.hex).toBe('0000803f000000c0');
  });

  it('keeps the first vector of a key and separates encoder versions', async () => {
    await store.save('enc-b', new Map([['k', vectorOf('first')]]));
    await store.save('enc-b', new Map([['k', vectorOf('second')], ['k2', vectorOf('k2')]]));
    const loaded = await store.load('enc-b', ['k', 'k2']);
    expect(loaded.get('k')).toEqual(vectorOf('first'));
    expect(loaded.get('k2')).toEqual(vectorOf('k2'));
    expect((await store.load('enc-other', ['k'])).size).toBe(0);
    expect((await store.load('enc-b', [])).size).toBe(0);
  });

  it('rejects a vector holding NaN and stores nothing of that batch', async () => {
    const bad = vectorOf('bad');
    bad[5] = Number.NaN;
    await expect(store.save('enc-nan', new Map([['ok', vectorOf('ok')], ['bad', bad]]))).rejects.toThrow(
      'embedding store: the vector of "bad" holds NaN at 5',
    );
    expect((await store.load('enc-nan', ['ok', 'bad'])).size).toBe(0);
  });

  it('serves a fresh process from the table: store hits, nothing computed', async () => {
    await new EmbeddingCache({ encoderVersion: 'enc-c', dim: DIM, store }).embed(oddKeys, encoder());
    const fresh = new EmbeddingCache({ encoderVersion: 'enc-c', dim: DIM, store });
    const compute = encoder();
    const vectors = await fresh.embed([...oddKeys].reverse(), compute);
    expect(compute).not.toHaveBeenCalled();
    expect(vectors).toEqual([...oddKeys].reverse().map((k) => vectorOf(k)));
    expect(fresh.stats()).toEqual({ lruHits: 0, storeHits: oddKeys.length, computed: 0 });
  });

  it('is readable by the analytics role, like every table', async () => {
    const [row] = await queryRows<{ ok: boolean }>(
      database.db,
      sql`select has_table_privilege('cv_analytics', 'title_embeddings', 'select') as ok`,
    );
    expect(row?.ok).toBe(true);
  });
});
