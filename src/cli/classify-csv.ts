/**
 * `classify --csv`: the batch CSV in/out mode (tagging a CRM export). Like `run`, it loses nothing:
 * every row comes out, in input order, with its predictions appended; a row that cannot be scored
 * (empty, over-long or control-character title, wrong number of fields, a quoting error) comes out
 * with empty predictions and the reason in the `Error` column, is listed on stderr with its line,
 * and the command exits 2. Problems with the file as a whole (empty, no title column, another
 * separator) stop it before anything is scored, naming what was found and what was expected.
 */
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parse, type CsvError } from 'csv-parse';
import { stringify } from 'csv-stringify';
import { z } from 'zod';
import { CLASSES, TASKS, type Task } from '../domain/labels.ts';
import type { TitleClassifier } from '../domain/prediction.ts';
import { PositionSchema, describeIssues } from '../domain/profile.ts';
import { type TaskAnswer, titleAnswer } from '../pipeline/answer.ts';
import { scoreTitles } from '../pipeline/score.ts';
import type { Progress } from './progress.ts';

/**
 * Titles per classifier call: batched inference, and progress every few seconds with the
 * sentence encoder (a few hundred titles a second on one core).
 */
const CSV_BATCH = 128;

/** The roles a column can play, and the header names each is found under by default (any case). */
const ROLES = {
  title: ['job title', 'title', 'position'],
  org: ['organization', 'organisation', 'company'],
  id: ['record id', 'id'],
} as const;
type Role = keyof typeof ROLES;
export type ColumnNames = Partial<Record<Role, string>>;

const TASK_COLUMNS = (task: Task) => {
  const name = task === 'seniority' ? 'Seniority' : 'Department';
  return [name, `${name} Confidence`, `${name} Source`, `${name} 2nd`, `${name} 2nd Probability`];
};
export const OUTPUT_COLUMNS = [...TASKS.flatMap(TASK_COLUMNS), 'Error'];

/** `--columns title=Position,org=Company,id=Ref`: which header names the title, organization and id. */
export function parseColumns(spec: string): ColumnNames {
  const names: ColumnNames = {};
  for (const part of spec.split(',')) {
    const match = /^\s*(title|org|organization|id)\s*=\s*(.*\S)\s*$/i.exec(part);
    if (!match) throw new Error(`--columns ${JSON.stringify(spec)}: expected ROLE=HEADER pairs separated by commas, ROLE one of title, org, id (e.g. title="Job Title",org=Company)`);
    const role = match[1]!.toLowerCase().slice(0, 5) === 'organ' ? 'org' : (match[1]!.toLowerCase() as Role);
    names[role] = match[2]!;
  }
  if (!names.title) throw new Error(`--columns ${JSON.stringify(spec)}: name the title column (title=HEADER)`);
  return names;
}

export interface CsvOptions {
  input: string;
  /** Absent: stdout. */
  output?: string;
  delimiter: string;
  columns: ColumnNames;
}

/**
 * The checks that need no model: the input is a readable file, the output's folder exists and is
 * writable, and the output is not the input. Run before the models load (seconds).
 */
export async function checkCsvPaths({ input, output }: Pick<CsvOptions, 'input' | 'output'>): Promise<void> {
  const info = await stat(input).catch(() => null);
  if (!info) throw new Error(`--csv ${input}: no such file`);
  if (!info.isFile()) throw new Error(`--csv ${input}: not a file`);
  await access(input, constants.R_OK).catch(() => {
    throw new Error(`--csv ${input}: not readable`);
  });
  if (output === undefined) return;
  const folder = dirname(resolve(output));
  await access(folder, constants.W_OK).catch(() => {
    throw new Error(`--out ${output}: folder ${folder} does not exist or is not writable`);
  });
  const existing = await realpath(output).catch(() => null);
  if (existing !== null && existing === (await realpath(input))) throw new Error(`--out ${output} is the input file: write the predictions elsewhere`);
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
  let pending: { record: string[]; line: number; error?: string }[] = [];
  /** Records the parser could not read (quoting errors), by line, to be written in their place. */
  const skipped: { line: number; reason: string }[] = [];

  const reject = (line: number, record: string[], reason: string) => {
    summary.rejected.push({ line, id: columns.id >= 0 ? (record[columns.id] ?? null) : null, reason });
    pending.push({ record, line, error: reason });
  };

  async function* flush(): AsyncGenerator<string[]> {
    const valid = pending.filter((p) => !p.error);
    const scored = await scoreTitles(
      valid.map(({ record }) => ({ title: record[columns.title]!, organization: columns.org >= 0 ? record[columns.org] || null : null })),
      classifier,
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

  /** Rows the parser skipped before `line`, as rejected rows in their place. */
  function takeSkipped(line: number) {
    while (skipped.length > 0 && skipped[0]!.line < line) {
      const { line: at, reason } = skipped.shift()!;
      reject(at, [], reason);
    }
  }

  async function* withPredictions(rows: AsyncIterable<{ record: string[]; info: { lines: number } }>): AsyncGenerator<string[]> {
    for await (const { record, info } of rows) {
      if (!header) {
        header = record;
        columns = resolveColumns(input, header, options);
        yield [...header, ...OUTPUT_COLUMNS];
        continue;
      }
      takeSkipped(info.lines);
      const reason = rowError(record, header.length, columns);
      if (reason) reject(info.lines, record, reason);
      else pending.push({ record, line: info.lines });
      if (pending.length >= CSV_BATCH) yield* flush();
    }
    if (!header) throw new Error(`--csv ${input}: the file is empty; expected a header line with a "Job Title" column, then one row per title`);
    takeSkipped(Infinity);
    yield* flush();
  }

  await pipeline(
    createReadStream(input),
    parse({
      info: true,
      bom: true,
      delimiter,
      relax_column_count: true,
      skip_empty_lines: true,
      // A quoting error loses that record only: it is written back as a rejected row in its place.
      skip_records_with_error: true,
      on_skip: (err: CsvError | undefined) => {
        if (err) skipped.push({ line: Number(err.lines ?? 0), reason: `unreadable CSV record: ${err.message}` });
      },
    }),
    withPredictions,
    stringify(),
    options.output ? createWriteStream(options.output) : process.stdout,
  );
  return summary;
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
  for (const r of summary.rejected.slice(0, 20)) lines.push(`  ${input} line ${r.line}${r.id ? ` (${r.id})` : ''}: ${r.reason}`);
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

/** Data rows of a CSV (records after the header): the progress total; null where it cannot be read. */
export async function countCsvRows(input: string, delimiter: string): Promise<number | null> {
  let records = 0;
  try {
    const parser = parse({ bom: true, delimiter, relax_column_count: true, skip_empty_lines: true, skip_records_with_error: true });
    createReadStream(input)
      .on('error', (err) => parser.destroy(err))
      .pipe(parser);
    for await (const _record of parser) records += 1;
  } catch {
    return null;
  }
  return Math.max(0, records - 1);
}

export const DelimiterSchema = z
  .string()
  .transform((d) => (d === '\\t' || d.toLowerCase() === 'tab' ? '\t' : d))
  .refine((d) => d.length === 1 && !/["\r\n]/.test(d), { message: 'must be one character other than a quote or a line break (\\t or tab for a tab)' });
