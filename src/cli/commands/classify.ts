import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { TASKS } from '../../domain/labels.ts';
import { MAX_TITLE_LENGTH } from '../../domain/profile.ts';
import type { TitleAnswer } from '../../pipeline/answer.ts';
import { type ColumnNames, DelimiterSchema, checkCsvPaths, parseColumns } from '../csv-options.ts';
import { classifierSource, env, printJson, withDatabase } from '../context.ts';
import { withProgress } from '../progress.ts';

interface ClassifyOptions {
  org?: string;
  csv?: string;
  out?: string;
  delimiter: string;
  columns?: ColumnNames;
  json?: boolean;
  progress: boolean;
  corrections: boolean;
}

export function registerClassify(program: Command): void {
  program
    .command('classify')
    .description('predict seniority and department of one title, or of every row of a CSV (each title scored as a one-position profile, as `run` would)')
    .argument('[title]', 'a job title, e.g. "Senior Software Engineer"')
    .option('--org <organization>', 'the organization of the title (helps strip "at ACME" suffixes)')
    .option('--csv <in>', 'a CSV with a header line, e.g. "Record ID,Job Title,Organization" (only a title column is required)')
    .option('--out <out>', 'where to write the CSV with predictions (with --csv; default: stdout)')
    .option('--delimiter <char>', 'the CSV field separator (with --csv; "\\t" or tab for a tab)', parseDelimiter, ',')
    .option('--columns <roles>', 'which columns hold the title, organization and id, e.g. title="Position",org=Company,id=Ref (with --csv; default: Job Title, Organization, Record ID)', parseColumns)
    .option('--json', 'print the answer as JSON: labels, confidence, top-2 classes, each member\'s probability per class')
    .option('--no-progress', 'never show progress on stderr (with --csv)')
    .option('--no-corrections', "the model's answer only: do not read the analysts' corrections from the database")
    .action(async (title: string | undefined, opts: ClassifyOptions) => {
      // Argument and path errors before the models load (seconds).
      if (opts.csv && title) throw new Error('give a title or --csv FILE, not both');
      if (!opts.csv && !title) throw new Error('give a title, or --csv FILE');
      if (!opts.csv && (opts.out || opts.columns)) throw new Error('--out and --columns go with --csv');
      if (title !== undefined && title.trim() === '') throw new Error('the title is empty');
      if (title && title.length > MAX_TITLE_LENGTH) throw new Error(`title is longer than ${MAX_TITLE_LENGTH} characters`);
      if (opts.csv) return classifyCsvCommand(opts.csv, opts);
      const { loadClassifier } = await import('../../classify/load-classifier.ts');
      const { scoreTitles } = await import('../../pipeline/score.ts');
      const { titleAnswer } = await import('../../pipeline/answer.ts');
      const classifier = await loadClassifier(classifierSource());
      const [scored] = await scoreTitles([{ title: title!, organization: opts.org ?? null }], classifier, await storedCorrections(opts));
      const answer = titleAnswer(scored!);
      if (opts.json) return printJson({ modelVersion: classifier.modelVersion, ...answer });
      process.stdout.write(renderAnswer(answer, classifier.modelVersion));
    });
}

async function classifyCsvCommand(input: string, opts: ClassifyOptions): Promise<void> {
  await checkCsvPaths({ input, output: opts.out });
  const { loadClassifier } = await import('../../classify/load-classifier.ts');
  const { classifyCsv, countCsvRows, renderSummary } = await import('../classify-csv.ts');
  // CSV going to a terminal is its own progress: a live line on the same screen would garble it.
  const enabled = opts.progress && !(opts.out === undefined && process.stdout.isTTY);
  const summary = await withProgress({ label: 'classify', unit: 'rows', enabled }, async (progress) => {
    progress.phase('loading model');
    const classifier = await loadClassifier(classifierSource());
    if (progress.mode !== 'off') {
      progress.phase('counting rows');
      progress.start(await countCsvRows(input, opts.delimiter));
    }
    const corrections = await storedCorrections(opts);
    return classifyCsv(classifier, { input, output: opts.out, delimiter: opts.delimiter, columns: opts.columns ?? {}, corrections }, progress);
  });
  process.stderr.write(renderSummary(input, summary));
  // As `run`: some rows could not be scored (each is in the output with its reason).
  if (summary.rejected.length > 0) process.exitCode = 2;
}

/**
 * The analysts' title corrections, as `serve` and the workers apply them: read from the database
 * every command uses (DATABASE_URL, or the embedded one where PGLITE_DIR already exists; a fresh
 * checkout has none, and classify then creates none). `--no-corrections`: none.
 */
async function storedCorrections(opts: ClassifyOptions) {
  const { NO_CORRECTIONS } = await import('../../domain/correction.ts');
  const config = env();
  if (!opts.corrections || (!config.DATABASE_URL && !existsSync(config.PGLITE_DIR))) return NO_CORRECTIONS;
  const { loadCorrectionSet } = await import('../../store/corrections.ts');
  return withDatabase(({ db }) => loadCorrectionSet(db));
}

function parseDelimiter(value: string): string {
  const parsed = DelimiterSchema.safeParse(value);
  if (!parsed.success) throw new Error(`--delimiter ${JSON.stringify(value)}: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

function renderAnswer(answer: TitleAnswer, model: string): string {
  const lines = [`title       ${answer.title}${answer.organization ? ` (${answer.organization})` : ''}`, `standard    ${answer.standardizedTitle} (${answer.language})`];
  for (const task of TASKS) {
    const t = answer[task];
    lines.push(`${task.padEnd(11)} ${t.label.padEnd(24)} confidence ${t.confidence.toFixed(2)}  source ${t.source}`);
    lines.push(`${''.padEnd(12)}why: ${t.why}`);
    for (const [member, probs] of Object.entries(t.members)) lines.push(`${''.padEnd(12)}${member.padEnd(11)} ${topClasses(probs)}`);
    // The labeled titles nearest in embedding space: the encoder's reason, in words a user can check.
    for (const n of (t.neighbours ?? []).slice(0, 5)) {
      lines.push(`${''.padEnd(12)}near        ${n.similarity.toFixed(2)}  ${n.title} → ${n.label}`);
    }
  }
  lines.push(`model       ${model}`);
  return `${lines.join('\n')}\n`;
}

/** The three most probable classes, e.g. "Senior 0.81, Lead 0.12, Professional 0.05". */
function topClasses(probs: Record<string, number>): string {
  return Object.entries(probs)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([c, p]) => `${c} ${p.toFixed(2)}`)
    .join(', ');
}
