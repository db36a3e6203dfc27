/**
 * Two-level cache of sentence-encoder vectors, keyed by (encoder version, normalized title):
 * an in-process LRU in front of a shared store (Postgres). Real CV streams repeat titles heavily
 * and encoding runs at only hundreds of titles/s, so every title should be encoded once per
 * encoder version, ever, across all workers.
 */
import { LRUCache } from 'lru-cache';

/** The shared level: vectors by title key, per encoder version. */
export interface EmbeddingStore {
  /** The stored vectors of those keys; keys not stored are absent from the map. */
  load(encoderVersion: string, keys: string[]): Promise<Map<string, Float32Array>>;
  /** Stores the vectors; a key already stored keeps its vector. */
  save(encoderVersion: string, entries: ReadonlyMap<string, Float32Array>): Promise<void>;
}

export interface EmbeddingCacheOptions {
  encoderVersion: string;
  dim: number;
  /** LRU capacity in vectors (default 50,000: about 77 MB at 384 float32 each). */
  maxEntries?: number;
  store?: EmbeddingStore;
}

export interface EmbeddingCacheStats {
  lruHits: number;
  storeHits: number;
  computed: number;
}

export class EmbeddingCache {
  readonly encoderVersion: string;
  readonly dim: number;
  private readonly lru: LRUCache<string, Float32Array>;
  private readonly store: EmbeddingStore | undefined;
  private readonly counts: EmbeddingCacheStats = { lruHits: 0, storeHits: 0, computed: 0 };

  constructor(options: EmbeddingCacheOptions) {
    this.encoderVersion = options.encoderVersion;
    this.dim = options.dim;
    this.lru = new LRUCache({ max: options.maxEntries ?? 50_000 });
    this.store = options.store;
  }

  /**
   * One vector per key, in order: from the LRU, else the store (one `load`), else `compute`, which
   * gets each remaining distinct key once and must return one vector of length `dim` per key, in
   * its order. Computed vectors go to the store (one `save`) and then the LRU. A store error
   * propagates. Returned vectors are shared with the cache: treat them as read-only.
   */
  async embed(keys: readonly string[], compute: (missing: string[]) => Promise<Float32Array[]>): Promise<Float32Array[]> {
    const found = new Map<string, Float32Array>();
    let missing: string[] = [];
    for (const key of new Set(keys)) {
      const vector = this.lru.get(key);
      if (vector) found.set(key, vector);
      else missing.push(key);
    }
    this.counts.lruHits += found.size;

    const store = this.store;
    if (missing.length > 0 && store) {
      const loaded = await this.storeCall('load', missing.length, () => store.load(this.encoderVersion, missing));
      const stillMissing: string[] = [];
      for (const key of missing) {
        const vector = loaded.get(key);
        if (!vector) {
          stillMissing.push(key);
          continue;
        }
        this.checkLength(vector, key, 'the store');
        found.set(key, vector);
        this.lru.set(key, vector);
        this.counts.storeHits++;
      }
      missing = stillMissing;
    }

    if (missing.length > 0) {
      const computed = await compute(missing);
      if (!Array.isArray(computed) || computed.length !== missing.length) {
        throw new Error(
          `embedding cache: compute returned ${Array.isArray(computed) ? computed.length : typeof computed} vectors for ${missing.length} keys`,
        );
      }
      const fresh = new Map(missing.map((key, i) => [key, computed[i]!]));
      for (const [key, vector] of fresh) this.checkLength(vector, key, 'compute');
      if (store) await this.storeCall('save', fresh.size, () => store.save(this.encoderVersion, fresh));
      // Only after the save: with a store, the LRU never holds a vector that the store lacks.
      for (const [key, vector] of fresh) {
        found.set(key, vector);
        this.lru.set(key, vector);
      }
      this.counts.computed += fresh.size;
    }

    return keys.map((key) => found.get(key)!);
  }

  /** Counted per distinct key of each `embed` call. */
  stats(): EmbeddingCacheStats {
    return { ...this.counts };
  }

  private checkLength(vector: Float32Array, key: string, from: string): void {
    if (!(vector instanceof Float32Array) || vector.length !== this.dim) {
      const got = vector instanceof Float32Array ? `length ${vector.length}` : 'not a Float32Array';
      throw new Error(`embedding cache: ${from} gave a vector for ${JSON.stringify(key)} of ${got}, expected Float32Array of length ${this.dim} (encoder ${this.encoderVersion})`);
    }
  }

  private async storeCall<T>(op: 'load' | 'save', n: number, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(`embedding cache: store ${op} of ${n} vectors failed (encoder ${this.encoderVersion}): ${reason}`, { cause: err });
    }
  }
}
