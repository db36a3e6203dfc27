/** The shared level of the embedding cache (src/classify/embedding-cache.ts): a Postgres table. */
import { sql } from 'drizzle-orm';
import type { EmbeddingStore } from '../classify/embedding-cache.ts';
import { type Db, queryRows } from './db.ts';

/**
 * The `title_embeddings` table, one statement per call, the same on PGlite and node-postgres (both
 * send a Buffer[] as bytea[] and return bytea as a Uint8Array). Vectors are little-endian float32.
 */
export class PostgresEmbeddingStore implements EmbeddingStore {
  constructor(private readonly db: Db) {}

  async load(encoderVersion: string, keys: string[]): Promise<Map<string, Float32Array>> {
    if (keys.length === 0) return new Map();
    const rows = await queryRows<{ title_key: string; embedding: Uint8Array }>(
      this.db,
      sql`select title_key, embedding from title_embeddings
          where encoder_version = ${encoderVersion} and title_key = any(${sql.param(keys)}::text[])`,
    );
    return new Map(rows.map((r) => [r.title_key, decodeVector(r.embedding, r.title_key)]));
  }

  async save(encoderVersion: string, entries: ReadonlyMap<string, Float32Array>): Promise<void> {
    if (entries.size === 0) return;
    const keys = [...entries.keys()];
    const vectors = keys.map((key) => encodeVector(entries.get(key)!, key));
    // unnest: one bind parameter per column, as in src/store/write-results.ts.
    await this.db.execute(
      sql`insert into title_embeddings (encoder_version, title_key, embedding)
          select ${encoderVersion}, k, e from unnest(${sql.param(keys)}::text[], ${sql.param(vectors)}::bytea[]) as t(k, e)
          on conflict do nothing`,
    );
  }
}

function encodeVector(vector: Float32Array, key: string): Buffer {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((x, i) => {
    if (!Number.isFinite(x)) throw new Error(`embedding store: the vector of ${JSON.stringify(key)} holds ${x} at ${i}`);
    bytes.writeFloatLE(x, i * 4);
  });
  return bytes;
}

function decodeVector(bytes: Uint8Array, key: string): Float32Array {
  if (bytes.byteLength % 4 !== 0) throw new Error(`embedding store: the vector of ${JSON.stringify(key)} has ${bytes.byteLength} bytes, not a multiple of 4`);
  // A DataView over the row's own bytes: a driver's Uint8Array may sit at any offset of a shared
  // buffer, where a Float32Array view needs 4-byte alignment, and the host may not be little-endian.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const vector = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < vector.length; i++) vector[i] = view.getFloat32(i * 4, true);
  return vector;
}
