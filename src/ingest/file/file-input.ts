/**
 * Reads profiles from a file: a JSON array (raw profiles or messages) or NDJSON (one message per
 * line). Yields every item, valid or not, so the caller can store what is valid and dead-letter the
 * rest with its reason and its place in the file.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { extname } from 'node:path';
import { type Parsed, parseProfileText, parseProfileValue } from '../../domain/parse.ts';
import type { ProfileMessage } from '../../domain/profile.ts';

export type InputFormat = 'json' | 'ndjson';

export interface InputItem {
  /** Where in the file: `item 3` (JSON array, 1-based) or `line 17` (NDJSON). */
  ref: string;
  result: Parsed<ProfileMessage>;
  /** The item's original text, kept for the dead-letter table when it is rejected. */
  payload: string;
}

/** A JSON array is parsed whole; larger inputs belong in NDJSON, which streams. */
export const MAX_JSON_FILE_BYTES = 512 * 1024 * 1024;

export function detectFormat(path: string): InputFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  if (ext === '.json') return 'json';
  throw new Error(`cannot tell the format of ${path} from its extension: use --format json|ndjson`);
}

export async function* readInputFile(path: string, format: InputFormat = detectFormat(path)): AsyncGenerator<InputItem> {
  if (format === 'ndjson') yield* readNdjson(path);
  else yield* readJsonArray(path);
}

async function* readJsonArray(path: string): AsyncGenerator<InputItem> {
  for (const [i, item] of (await loadJsonArray(path)).entries()) {
    yield { ref: `item ${i + 1}`, result: parseProfileValue(item), payload: JSON.stringify(item) ?? String(item) };
  }
}

async function loadJsonArray(path: string): Promise<unknown[]> {
  const { size } = await stat(path);
  if (size > MAX_JSON_FILE_BYTES) {
    throw new Error(`${path} is ${size} bytes; a JSON array is limited to ${MAX_JSON_FILE_BYTES} bytes: use NDJSON`);
  }
  let items: unknown;
  try {
    items = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(items)) throw new Error(`${path} must hold a JSON array of profiles`);
  return items;
}

async function* readNdjson(path: string): AsyncGenerator<InputItem> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo += 1;
    if (line.trim() === '') continue;
    yield { ref: `line ${lineNo}`, result: parseProfileText(line), payload: line };
  }
}

/** Counts the items of an input without validating them (for progress reporting). */
export async function countItems(path: string, format: InputFormat = detectFormat(path)): Promise<number> {
  if (format === 'json') return (await loadJsonArray(path)).length;
  let n = 0;
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) if (line.trim() !== '') n += 1;
  return n;
}
