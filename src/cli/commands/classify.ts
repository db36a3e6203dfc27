import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify';
import type { PositionPrediction, TitleClassifier } from '../../domain/prediction.ts';
import { CLASSES, TASKS } from '../../domain/labels.ts';
import { MAX_TITLE_LENGTH } from '../../domain/profile.ts';
import { printJson } from '../context.ts';
import { type Progress, withProgress } from '../progress.ts';

/**
 * Titles classified per classifier call when streaming a CSV: batched inference, and progress
 * every few seconds with the sentence encoder (tens of titles a second on one core).
 */
const CSV_BATCH = 128;

export function registerClassify(program: Command): void {
  program
    .command('classify')
    .description('predict seniority and department of one title, or of every row of a CSV')
    .argument('[title]', 'a job title, e.g. "Senior Software Engineer"')
    .option('--org <organization>', 'the organization of the title (helps strip "at ACME" suffixes)')
    .option('--csv <in>', 'a CSV with columns "Record ID,Job Title[,Organization]"')
    .option('--out <out>', 'where to write the CSV with predictions (with --csv; default: stdout)')
    .option('--json', 'print the prediction as JSON')
    .option('--no-progress', 'never show progress on stderr (with --csv)')
    .action(async (title: string | undefined, opts: { org?: string; csv?: string; out?: string; json?: boolean; progress: boolean }) => {
      // Argument errors before the models load.
      if (!opts.csv && !title) throw new Error('give a title, or --csv FILE');
      if (title && title.length > MAX_TITLE_LENGTH) throw new Error(`title is longer than ${MAX_TITLE_LENGTH} characters`);
      const { loadClassifier } = await import('../../classify/load-classifier.ts');
      if (opts.csv) {
        const csv = opts.csv;
        // CSV going to a terminal is its own progress: a live line on the same screen would garble it.
        const enabled = opts.progress && !(opts.out === undefined && process.stdout.isTTY);
        return withProgress({ label: 'classify', unit: 'rows', enabled }, async (progress) => {
          progress.phase('loading model');
          const classifier = await loadClassifier();
          if (progress.mode !== 'off') {
            progress.phase('counting rows');
            progress.start(await countCsvRows(csv));
          }
          await classifyCsv(classifier, csv, opts.out, progress);
        });
      }
      if (!title) throw new Error('give a title, or --csv FILE');
      const { prepareTitle } = await import('../../text/prepare.ts');
      const classifier = await loadClassifier();
      const prepared = prepareTitle(title, opts.org ?? null);
      const [prediction] = await classifier.classify([prepared]);
      if (opts.json) return printJson({ modelVersion: classifier.modelVersion, title: prepared, prediction });
      process.stdout.write(renderPrediction(title, prepared.standardized, prepared.language, prediction!, classifier.modelVersion));
    });
}

function renderPrediction(title: string, standardized: string, language: string, p: PositionPrediction, model: string): string {
  const lines = [`title       ${title}`, `standard    ${standardized} (${language})`];
  for (const task of TASKS) {
    const t = p[task];
    lines.push(`${task.padEnd(11)} ${t.label.padEnd(24)} confidence ${t.confidence.toFixed(2)}  source ${t.source}`);
    lines.push(`${''.padEnd(12)}why: ${t.why}`);
    for (const [member, probs] of Object.entries(t.members ?? {})) {
      lines.push(`${''.padEnd(12)}${member.padEnd(11)} ${topClasses(CLASSES[task], probs)}`);
    }
    // The labeled titles nearest in embedding space: the encoder's reason, in words a user can check.
    for (const n of (t.neighbours ?? []).slice(0, 5)) {
      lines.push(`${''.padEnd(12)}near        ${n.similarity.toFixed(2)}  ${n.title} → ${n.label}`);
    }
  }
  lines.push(`model       ${model}`);
  return `${lines.join('\n')}\n`;
}

/** The three most probable classes, e.g. "Senior 0.81, Lead 0.12, Professional 0.05". */
function topClasses(classes: readonly string[], probs: readonly number[]): string {
  return probs
    .map((p, i) => [classes[i]!, p] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([c, p]) => `${c} ${p.toFixed(2)}`)
    .join(', ');
}

const OUTPUT_COLUMNS = ['Seniority', 'Seniority Confidence', 'Seniority Source', 'Department', 'Department Confidence', 'Department Source'];

/**
 * Streams a CSV through the classifier in batches; every input row comes out, in order, with its
 * predictions appended. A row without a title is an error naming its line, not a silent blank.
 */
async function classifyCsv(classifier: TitleClassifier, input: string, output: string | undefined, progress: Progress): Promise<void> {
  const { prepareTitle } = await import('../../text/prepare.ts');
  let titleColumn = -1;
  let orgColumn = -1;
  let pending: string[][] = [];
  let rowsDone = 0;

  async function* classifyPending(): AsyncGenerator<string[]> {
    const titles = pending.map((record) => prepareTitle(record[titleColumn]!, orgColumn >= 0 ? (record[orgColumn] ?? null) : null));
    const predictions = await classifier.classify(titles);
    for (const [i, record] of pending.entries()) {
      const p = predictions[i]!;
      yield [...record, p.seniority.label, p.seniority.confidence.toFixed(4), p.seniority.source, p.department.label, p.department.confidence.toFixed(4), p.department.source];
    }
    rowsDone += pending.length;
    progress.update(rowsDone);
    pending = [];
  }

  async function* withPredictions(rows: AsyncIterable<{ record: string[]; info: { lines: number } }>): AsyncGenerator<string[]> {
    let header: string[] | null = null;
    for await (const { record, info } of rows) {
      if (!header) {
        header = record;
        titleColumn = header.findIndex((h) => h.trim().toLowerCase() === 'job title');
        orgColumn = header.findIndex((h) => h.trim().toLowerCase() === 'organization');
        if (titleColumn < 0) throw new Error(`${input}: no "Job Title" column in header ${JSON.stringify(header)}`);
        yield [...header, ...OUTPUT_COLUMNS];
        continue;
      }
      const title = record[titleColumn] ?? '';
      if (title.trim() === '') throw new Error(`${input} line ${info.lines}: empty Job Title`);
      if (title.length > MAX_TITLE_LENGTH) throw new Error(`${input} line ${info.lines}: Job Title is longer than ${MAX_TITLE_LENGTH} characters`);
      pending.push(record);
      if (pending.length >= CSV_BATCH) yield* classifyPending();
    }
    yield* classifyPending();
  }

  await pipeline(
    createReadStream(input),
    parse({ info: true, bom: true, relax_column_count: true, skip_empty_lines: true }),
    withPredictions,
    stringify(),
    output ? createWriteStream(output) : process.stdout,
  );
}

/**
 * The data rows of a CSV (records after the header), parsed as classifyCsv parses them: the
 * progress total. null where the file cannot be read or parsed: classifyCsv reports why.
 */
async function countCsvRows(input: string): Promise<number | null> {
  let records = 0;
  try {
    const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true });
    createReadStream(input)
      .on('error', (err) => parser.destroy(err))
      .pipe(parser);
    for await (const _record of parser) records += 1;
  } catch {
    return null;
  }
  return Math.max(0, records - 1);
}
