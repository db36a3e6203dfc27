/**
 * Writes the training set for training/train.py: every labeled and unlabeled title with the
 * features serving computes (src/features/title-features.ts), so Python fits on exactly what
 * TypeScript will feed the models. With the sentence encoder installed (models/encoder, or
 * --encoder DIR) it also writes FILE.encoder.f32: the encoder features of every row (little-endian
 * float32, row-major, in row order), and with its distilled static table (models/encoder/static)
 * FILE.static.f32: every row's static embedding, the same way. Usage: tsx training/export-dataset.ts --data DIR --out FILE
 * Progress (rows, then titles encoded: rate and ETA) on stderr, as the CLI commands show it.
 */
import { createWriteStream, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { SentenceEncoder, encoderFeatureNames } from '../src/classify/encoder.ts';
import { StaticEmbedder, readStaticInfo } from '../src/classify/static-embedding.ts';
import { loadKeywordRules } from '../src/classify/keyword-rules.ts';
import { type KeywordScorer, createKeywordScorer } from '../src/classify/keywords.ts';
import { configDigests } from '../src/classify/manifest.ts';
import { createProgress } from '../src/cli/progress.ts';
import { DEPARTMENT_CLASSES, SENIORITY_CLASSES } from '../src/domain/labels.ts';
import type { PreparedTitle, ProfileContext } from '../src/domain/prediction.ts';
import { PositionSchema, describeIssues } from '../src/domain/profile.ts';
import { DENSE_FEATURES, TITLE_LIST, denseFeatures, titleNgrams } from '../src/features/title-features.ts';
import { createTitlePreparer } from '../src/text/prepare.ts';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: process.env.CV_DATA_DIR },
    out: { type: 'string', default: 'training/work/dataset.jsonl' },
    golden: { type: 'string', default: 'examples/profiles.json' },
    encoder: { type: 'string', default: 'models/encoder' },
    // Analysts' corrections (`cv-pipeline corrections export --csv FILE`): title corrections become
    // labeled bare titles (kind `correction`), weighted in training like the annotated CVs.
    corrections: { type: 'string' },
  },
});

// The tables serving will load (config/), read once: the features, the fallback and the manifest's pins come from them.
const config = loadKeywordRules();
const prepareTitle = createTitlePreparer(config.text);
const keywordScores = createKeywordScorer(config.rules);
if (!args.data) throw new Error('give --data DIR (the folder with the CSVs and CV JSON files) or set CV_DATA_DIR');

/** Kinds of rows: which file a title came from decides how training may use it. */
type Kind = 'csv-seniority' | 'csv-department' | 'cv-dev' | 'cv-unlabeled' | 'golden' | 'correction';

const CvPosition = PositionSchema.extend({
  seniority: z.enum(SENIORITY_CLASSES).optional(),
  department: z.enum(DEPARTMENT_CLASSES).optional(),
});
const CvFile = z.array(z.array(CvPosition));
const CsvRows = z.array(z.object({ text: z.string().min(1), label: z.string() }));

const out = createWriteStream(args.out!);
let rows = 0;
/** Rows of all inputs (read and validated before any is featurized, so the progress has a total). */
let totalRows = 0;
const progress = createProgress({ label: 'export-dataset', unit: 'rows' });
/** The prepared title of every row, in row order, for the encoder features. */
const prepared: PreparedTitle[] = [];

async function write(row: object): Promise<void> {
  rows += 1;
  if (rows % 500 === 0) progress.update(rows, totalRows);
  // NaN (a missing context feature) is not JSON: write null, which Python reads back as NaN.
  if (!out.write(`${JSON.stringify(row, (_k, v) => (typeof v === 'number' && Number.isNaN(v) ? null : v))}\n`)) {
    await once(out, 'drain');
  }
}

function features(title: PreparedTitle, context: ProfileContext | typeof TITLE_LIST, kw: ReturnType<KeywordScorer>[]) {
  const own = kw[context === TITLE_LIST ? 0 : context.index]!;
  return {
    ngrams: titleNgrams(title),
    dense: denseFeatures(title, kw, context),
    kw: {
      seniority: own.prediction.seniority.label,
      seniorityConfidence: own.prediction.seniority.confidence,
      department: own.prediction.department.label,
      departmentConfidence: own.prediction.department.confidence,
    },
    language: title.language,
  };
}

function readCsv(file: string): z.infer<typeof CsvRows> {
  const parsed = CsvRows.safeParse(parse(readFileSync(join(args.data!, file)), { columns: true, bom: true }));
  if (!parsed.success) throw new Error(`${file}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

function readCvs(path: string): z.infer<typeof CvFile> {
  const parsed = CvFile.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

async function exportCsv(data: z.infer<typeof CsvRows>, kind: Kind, task: 'seniority' | 'department'): Promise<void> {
  const domainCsv = DENSE_FEATURES.indexOf('domain_csv');
  for (const [i, row] of data.entries()) {
    const title = prepareTitle(row.text);
    const f = features(title, TITLE_LIST, [keywordScores(title)]);
    prepared.push(title);
    f.dense[domainCsv] = 1;
    // The n-gram members see the domain as one more token, present on CSV rows only.
    await write({ kind, group: `${kind}-${i}`, index: 0, title: row.text, [task]: row.label, ...f, ngrams: [...f.ngrams, 'd:csv'] });
  }
}

async function exportCvs(data: z.infer<typeof CvFile>, kind: Kind): Promise<void> {
  for (const [p, positions] of data.entries()) {
    const titles = positions.map((pos) => prepareTitle(pos.position, pos.organization ?? null));
    const kw = titles.map(keywordScores);
    for (const [index, pos] of positions.entries()) {
      prepared.push(titles[index]!);
      await write({
        kind,
        group: `${kind}-${p}`,
        index,
        title: pos.position,
        status: pos.status ?? null,
        seniority: pos.seniority ?? null,
        department: pos.department ?? null,
        ...features(titles[index]!, { index, positions, titles }, kw),
        // The same position as a bare title (a one-position profile): what `classify TITLE` sees.
        // Training adds these views (context dropout) and the title-only protocol scores them.
        denseTitle: denseFeatures(titles[index]!, [kw[index]!], null),
      });
    }
  }
}

const CorrectionRows = z.array(
  z.object({ title: z.string(), seniority: z.union([z.enum(SENIORITY_CLASSES), z.literal('')]), department: z.union([z.enum(DEPARTMENT_CLASSES), z.literal('')]) }),
);

/** Title corrections only: a position correction names a stored position, not a title the training set has. */
function readCorrections(path: string): z.infer<typeof CorrectionRows> {
  const parsed = CorrectionRows.safeParse(parse(readFileSync(path), { columns: true, bom: true }));
  if (!parsed.success) throw new Error(`${path}: ${describeIssues(parsed.error)}`);
  return parsed.data.filter((r) => r.title.trim() !== '');
}

async function exportCorrections(rows: z.infer<typeof CorrectionRows>): Promise<void> {
  for (const [i, row] of rows.entries()) {
    const title = prepareTitle(row.title);
    prepared.push(title);
    await write({
      kind: 'correction', group: `correction-${i}`, index: 0, title: row.title,
      seniority: row.seniority || null, department: row.department || null,
      ...features(title, TITLE_LIST, [keywordScores(title)]),
    });
  }
}

const seniorityCsv = readCsv('seniority-v2.csv');
const departmentCsv = readCsv('department-v2.csv');
const devCvs = readCvs(join(args.data, 'linkedin-cvs-annotated-dev.json'));
const unlabeledCvs = readCvs(join(args.data, 'linkedin-cvs-not-annotated.json'));
const goldenCvs = readCvs(args.golden!);
const positions = (cvs: z.infer<typeof CvFile>) => cvs.reduce((n, p) => n + p.length, 0);
const corrections = args.corrections ? readCorrections(args.corrections) : [];
totalRows = seniorityCsv.length + departmentCsv.length + positions(devCvs) + positions(unlabeledCvs) + positions(goldenCvs) + corrections.length;
progress.start(totalRows);
await exportCsv(seniorityCsv, 'csv-seniority', 'seniority');
await exportCsv(departmentCsv, 'csv-department', 'department');
await exportCvs(devCvs, 'cv-dev');
await exportCvs(unlabeledCvs, 'cv-unlabeled');
await exportCvs(goldenCvs, 'golden');
await exportCorrections(corrections);
out.end();
await once(out, 'finish');
progress.update(rows, totalRows);
progress.stop();
const encoderFile = `${args.out}.encoder.f32`;
rmSync(encoderFile, { force: true });
let encoder: object | null = null;
if (existsSync(join(args.encoder!, 'encoder.json'))) {
  const started = Date.now();
  const encoding = createProgress({ label: 'export-dataset: encoding', unit: 'titles' });
  encoding.phase('loading the sentence encoder');
  const sentenceEncoder = await SentenceEncoder.load(args.encoder!);
  let features: Awaited<ReturnType<SentenceEncoder['features']>>;
  try {
    // Counts the distinct titles (the encoder embeds each once).
    features = await sentenceEncoder.features(prepared, (done, total) => encoding.update(done, total));
  } finally {
    encoding.stop();
  }
  const { data, width } = features;
  writeFileSync(encoderFile, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  const { version, dim } = sentenceEncoder.info;
  encoder = { version, dim, conceptsSha256: sentenceEncoder.conceptsSha256, features: encoderFeatureNames(dim) };
  process.stderr.write(`encoded ${rows} titles (${sentenceEncoder.cacheStats().computed} distinct) with ${version} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${width} encoder features each\n`);
  await sentenceEncoder.dispose();
} else {
  process.stderr.write(`no sentence encoder in ${args.encoder}: the dataset has no encoder features (npm run models:encoder adds it)\n`);
}
const staticFile = `${args.out}.static.f32`;
rmSync(staticFile, { force: true });
let staticInfo: object | null = null;
if (readStaticInfo(args.encoder!)) {
  const started = Date.now();
  const embedder = await StaticEmbedder.load(args.encoder!);
  const { data, width } = embedder.features(prepared);
  writeFileSync(staticFile, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  staticInfo = { version: embedder.info.version, dim: width };
  process.stderr.write(`static embeddings (${embedder.info.version}) of ${rows} titles in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
} else {
  process.stderr.write(`no static table in ${args.encoder}/static: the dataset has no static embeddings (npm run models:encoder adds it)\n`);
}
// The feature names travel beside the rows, so Python never hard-codes the vector layout.
// The config files the features came from: the manifest pins them, serving refuses others.
writeFileSync(`${args.out}.meta.json`, `${JSON.stringify({ denseFeatures: DENSE_FEATURES, encoder, static: staticInfo, config: configDigests(config) }, null, 2)}\n`);
process.stderr.write(`wrote ${rows} rows with ${DENSE_FEATURES.length} dense features to ${args.out}\n`);
