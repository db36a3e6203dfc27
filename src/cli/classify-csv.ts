/**
 * `classify --csv`: the batch CSV in/out mode (tagging a CRM export). Like `run`, it loses nothing:
 * every row comes out, in input order, with its predictions appended; a row that cannot be scored
 * (empty, over-long or control-character title, wrong number of fields, a quoting error) comes out
 * with empty predictions and the reason in the `Error` column, is listed on stderr with its line,
 * and the command exits 2. Problems with the file as a whole (empty, no title column, another
 * separator) stop it before anything is scored, naming what was found and what was expected.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import type { CsvError } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { stringify } from 'csv-stringify';
import { CLASSES, TASKS, type Task } from '../domain/labels.ts';
import type { TitleClassifier } from '../domain/prediction.ts';
import { PositionSchema, describeIssues } from '../domain/profile.ts';
import { type TaskAnswer, titleAnswer } from '../pipeline/answer.ts';
import { scoreTitles } from '../pipeline/score.ts';
import type { CorrectionSet } from '../domain/correction.ts';
import { type ColumnNames, ROLES, type Role } from './csv-options.ts';
import type { Progress } from './progress.ts';

/**
 * Titles per classifier call: batched inference, and progress every few seconds with the
 * sentence encoder (a few hundred titles a second on one core).
 */
const CSV_BATCH = 128;

const TASK_COLUMNS = (task: Task) => {
  const name = task === 'seniority' ? 'Seniority' : 'Department';
  return [name, `${name} Confidence`, `${name} Source`, `${name} 2nd`, `${name} 2nd Probability`];
};
export const OUTPUT_COLUMNS = [...TASKS.flatMap(TASK_COLUMNS), 'Error'];

export interface CsvOptions {
  input: string;
  /** Absent: stdout. */
  output?: string;
  delimiter: string;
  columns: ColumnNames;
  /** The analysts' corrections (title corrections win, source `override`); default none. */
  corrections?: CorrectionSet;
}

export interface RejectedRow {
  line: number;
  id: string | null;
  reason: string;
}

export interface CsvSummary {
  rows: number;
  rejected: RejectedRow[];
  /** Rows per predicted class, per task (scored rows only). */
  classes: Record<Task, Record<string, number>>;
}

const TitleCell = PositionSchema.shape.position;
const OrgCell = PositionSchema.shape.organization;

/** Streams the CSV through the classifier in batches; `progress` hears the rows written so far. */
export async function classifyCsv(classifier: TitleClassifier, options: CsvOptions, progress: Progress): Promise<CsvSummary> {
  const { input, delimiter } = options;
  const summary: CsvSummary = {
    rows: 0,
    rejected: [],
    classes: Object.fromEntries(TASKS.map((t) => [t, Object.fromEntries(CLASSES[t].map((c) => [c, 0]))])) as CsvSummary['classes'],
  };
  let header: string[] | null = null;
  let columns: Record<Role, number> = { title: -1, org: -1, id: -1 };
  /** Rows read, waiting for their batch: a record to score, or one already rejected. */
  let pending: { record: string[]; error?: string }[] = [];

  async function* flush(): AsyncGenerator<string[]> {
    const valid = pending.filter((p) => !p.error);
    const scored = await scoreTitles(
      valid.map(({ record }) => ({ title: record[columns.title]!, organization: columns.org >= 0 ? record[columns.org] || null : null })),
      classifier,
      options.corrections,
    );
    let next = 0;
    for (const row of pending) {
      const padded = header!.map((_, i) => row.record[i] ?? '');
      if (row.error) {
        yield [...padded, ...OUTPUT_COLUMNS.slice(0, -1).map(() => ''), row.error];
        continue;
      }
      const answer = titleAnswer(scored[next++]!);
      for (const task of TASKS) summary.classes[task][answer[task].label] = (summary.classes[task][answer[task].label] ?? 0) + 1;
      yield [...padded, ...TASKS.flatMap((task) => taskCells(answer[task])), ''];
    }
    summary.rows += pending.length;
    progress.update(summary.rows);
    pending = [];
  }

  async function* withPredictions(records: AsyncIterable<CsvRecord>): AsyncGenerator<string[]> {
    for await (const { line, record, error } of records) {
      if (!header) {
        if (error) throw new Error(`--csv ${input} line ${line}: the header is ${error}`);
        header = record;
        columns = resolveColumns(input, header, options);
        yield [...header, ...OUTPUT_COLUMNS];
        continue;
      }
      const reason = error ?? rowError(record, header.length, columns);
      if (reason) summary.rejected.push({ line, id: columns.id >= 0 ? (record[columns.id] ?? null) : null, reason });
      pending.push(reason ? { record, error: reason } : { record });
      if (pending.length >= CSV_BATCH) yield* flush();
    }
    if (!header) throw new Error(`--csv ${input}: the file is empty; expected a header line with a "Job Title" column, then one row per title`);
    yield* flush();
  }

  await pipeline(csvRecords(input, delimiter), withPredictions, stringify(), options.output ? createWriteStream(options.output) : process.stdout);
  return summary;
}

interface CsvRecord {
  /** The line the record starts on (1 = the header). */
  line: number;
  record: string[];
  /** Why the record could not be read (its fields are then empty). */
  error?: string;
}

/** A quoted field may hold line breaks, but a record longer than this is a quote never closed. */
const MAX_RECORD_LINES = 200;
const MAX_RECORD_CHARS = 64 * 1024;

/**
 * The records of a CSV with their line numbers, read so that a malformed record loses itself only:
 * a streaming CSV parser that meets a quote never closed reads the rest of the file as one field
 * (every later row lost), so records are cut here from lines (joined while a quoted field is open,
 * up to the limits above) and each is parsed alone. Blank lines are skipped; quotes inside an
 * unquoted field are kept as text (`12" Pizza Chef`).
 */
async function* csvRecords(input: string, delimiter: string): AsyncGenerator<CsvRecord> {
  /** Lines of the record being read, and the number of its first line. */
  let open: string[] = [];
  let first = 0;
  const unreadable = (line: number, text: string, why: string): CsvRecord => ({ line, record: [], error: `unreadable CSV record (${why}): ${JSON.stringify(text.slice(0, 80))}` });

  function parseOne(text: string): string[] | CsvError {
    try {
      return (parseSync(text, { delimiter, relax_quotes: true, relax_column_count: true }) as string[][])[0] ?? [];
    } catch (err) {
      return err as CsvError;
    }
  }
  /** Gives up the open record's first line and reads the lines after it afresh. */
  function* giveUpFirst(): Generator<CsvRecord> {
    const [bad, ...rest] = open;
    const at = first;
    open = [];
    yield unreadable(at, bad!, 'a quote is never closed');
    for (const [i, text] of rest.entries()) yield* feed(text, at + 1 + i);
  }
  function* feed(text: string, at: number): Generator<CsvRecord> {
    if (open.length === 0) {
      if (text.trim() === '') return;
      first = at;
    }
    open.push(text);
    const joined = open.join('\n');
    const parsed = parseOne(joined);
    if (Array.isArray(parsed)) {
      open = [];
      yield { line: first, record: parsed };
    } else if (parsed.code === 'CSV_QUOTE_NOT_CLOSED' && open.length < MAX_RECORD_LINES && joined.length < MAX_RECORD_CHARS) {
      // A quoted field holding a line break, or a quote never closed: the next lines tell.
    } else if (open.length === 1) {
      open = [];
      yield unreadable(at, text, parsed.message.replace(/ at line \d+.*$/s, ''));
    } else {
      yield* giveUpFirst();
    }
  }

  let lineNo = 0;
  for await (const raw of createInterface({ input: createReadStream(input, 'utf8'), crlfDelay: Infinity })) {
    lineNo += 1;
    yield* feed(lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw, lineNo);
  }
  // The end of the file closes no quote: a record still open is given up line by line.
  while (open.length > 0) yield* giveUpFirst();
}

function taskCells(answer: TaskAnswer): string[] {
  // The runner-up: the ensemble's most probable class other than the answer (none for keyword-only scoring).
  const second = answer.top.find((t) => t.label !== answer.label);
  return [answer.label, answer.confidence.toFixed(4), answer.source, second?.label ?? '', second ? second.probability.toFixed(4) : ''];
}

function rowError(record: string[], width: number, columns: Record<Role, number>): string | null {
  if (record.length !== width) return `has ${record.length} field${record.length === 1 ? '' : 's'}, the header has ${width}`;
  const title = TitleCell.safeParse(record[columns.title]);
  if (!title.success) return `title ${describeIssues(title.error).replace(/^\(root\): /, '')}`;
  if (columns.org >= 0) {
    const org = OrgCell.safeParse(record[columns.org]);
    if (!org.success) return `organization ${describeIssues(org.error).replace(/^\(root\): /, '')}`;
  }
  return null;
}

/** The index of each role's column, or an error naming the header found and the one expected. */
function resolveColumns(input: string, header: string[], { columns: named, delimiter }: CsvOptions): Record<Role, number> {
  const find = (role: Role) => {
    const wanted = named[role] !== undefined ? [named[role]!] : ROLES[role];
    return header.findIndex((h) => wanted.some((w) => h.trim().toLowerCase() === w.trim().toLowerCase()));
  };
  const columns = { title: find('title'), org: find('org'), id: find('id') };
  const found = `found header ${JSON.stringify(header.join(delimiter))}`;
  for (const role of ['title', 'org', 'id'] as const) {
    if (named[role] !== undefined && columns[role] < 0) {
      throw new Error(`--csv ${input}: no column ${JSON.stringify(named[role])} (--columns ${role}=…); ${found}${separatorHint(header, delimiter)}`);
    }
  }
  if (columns.title < 0) {
    throw new Error(
      `--csv ${input}: no title column; ${found}, expected "Record ID${delimiter}Job Title${delimiter}Organization" ` +
        `(only Job Title is required; name another with --columns title=HEADER)${separatorHint(header, delimiter)}`,
    );
  }
  return columns;
}

/** A one-column header holding another common separator: the file is probably separated by it. */
function separatorHint(header: string[], delimiter: string): string {
  if (header.length !== 1) return '';
  const other = [';', '\t', '|', ','].find((d) => d !== delimiter && header[0]!.includes(d));
  return other ? `; the header looks separated by ${JSON.stringify(other)}: try --delimiter ${JSON.stringify(other)}` : '';
}

/** The final lines on stderr: rows, rejected rows with their lines, and the share of each class. */
export function renderSummary(input: string, summary: CsvSummary): string {
  const scored = summary.rows - summary.rejected.length;
  const lines = [`classify: ${summary.rows} rows, ${scored} scored, ${summary.rejected.length} rejected`];
  for (const r of summary.rejected.slice(0, 20)) lines.push(`  ${input} line ${r.line}${r.id ? ` (id ${r.id})` : ''}: ${r.reason}`);
  if (summary.rejected.length > 20) lines.push(`  … and ${summary.rejected.length - 20} more (the Error column lists every one)`);
  if (scored > 0) {
    for (const task of TASKS) {
      const shares = Object.entries(summary.classes[task])
        .filter(([, n]) => n > 0)
        .sort((a, b) => b[1] - a[1])
        .map(([label, n]) => `${label} ${((100 * n) / scored).toFixed(0)}%`);
      lines.push(`  ${task}: ${shares.join(', ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Data rows of a CSV (records after the header, read as classifyCsv reads them): the progress total. */
export async function countCsvRows(input: string, delimiter: string): Promise<number> {
  let records = 0;
  for await (const _record of csvRecords(input, delimiter)) records += 1;
  return Math.max(0, records - 1);
}
