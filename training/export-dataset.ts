/**
 * Writes the training set for training/train.py: every labeled and unlabeled title with the
 * features serving computes (src/features/title-features.ts), so Python fits on exactly what
 * TypeScript will feed the models. With the sentence encoder installed (models/encoder, or
 * --encoder DIR) it also writes FILE.encoder.f32: the encoder features of every row (little-endian
 * float32, row-major, in row order). Usage: tsx training/export-dataset.ts --data DIR --out FILE
 */
import { createWriteStream, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { SentenceEncoder, encoderFeatureNames } from '../src/classify/encoder.ts';
import { keywordScores } from '../src/classify/keywords.ts';
import { DEPARTMENT_CLASSES, SENIORITY_CLASSES } from '../src/domain/labels.ts';
import type { PreparedTitle, ProfileContext } from '../src/domain/prediction.ts';
import { PositionSchema, describeIssues } from '../src/domain/profile.ts';
import { DENSE_FEATURES, denseFeatures, titleNgrams } from '../src/features/title-features.ts';
import { prepareTitle } from '../src/text/prepare.ts';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: process.env.CV_DATA_DIR },
    out: { type: 'string', default: 'training/work/dataset.jsonl' },
    golden: { type: 'string', default: 'examples/profiles.json' },
    encoder: { type: 'string', default: 'models/encoder' },
  },
});
if (!args.data) throw new Error('give --data DIR (the folder with the CSVs and CV JSON files) or set CV_DATA_DIR');

/** Kinds of rows: which file a title came from decides how training may use it. */
type Kind = 'csv-seniority' | 'csv-department' | 'cv-dev' | 'cv-unlabeled' | 'golden';

const CvPosition = PositionSchema.extend({
  seniority: z.enum(SENIORITY_CLASSES).optional(),
  department: z.enum(DEPARTMENT_CLASSES).optional(),
});
const CvFile = z.array(z.array(CvPosition));
const CsvRows = z.array(z.object({ text: z.string().min(1), label: z.string() }));

const out = createWriteStream(args.out!);
let rows = 0;
/** The prepared title of every row, in row order, for the encoder features. */
const prepared: PreparedTitle[] = [];

async function write(row: object): Promise<void> {
  rows += 1;
  // NaN (a missing context feature) is not JSON: write null, which Python reads back as NaN.
  if (!out.write(`${JSON.stringify(row, (_k, v) => (typeof v === 'number' && Number.isNaN(v) ? null : v))}\n`)) {
    await once(out, 'drain');
  }
}

function features(title: PreparedTitle, context: ProfileContext | null, kw: ReturnType<typeof keywordScores>[]) {
  const own = kw[context?.index ?? 0]!;
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

async function exportCsv(file: string, kind: Kind, task: 'seniority' | 'department'): Promise<void> {
  const parsed = CsvRows.safeParse(parse(readFileSync(join(args.data!, file)), { columns: true, bom: true }));
  if (!parsed.success) throw new Error(`${file}: ${describeIssues(parsed.error)}`);
  const domainCsv = DENSE_FEATURES.indexOf('domain_csv');
  for (const [i, row] of parsed.data.entries()) {
    const title = prepareTitle(row.text);
    const f = features(title, null, [keywordScores(title)]);
    prepared.push(title);
    f.dense[domainCsv] = 1;
    // The n-gram members see the domain as one more token, present on CSV rows only.
    await write({ kind, group: `${kind}-${i}`, index: 0, title: row.text, [task]: row.label, ...f, ngrams: [...f.ngrams, 'd:csv'] });
  }
}

async function exportCvs(path: string, kind: Kind): Promise<void> {
  const parsed = CvFile.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path}: ${describeIssues(parsed.error)}`);
  for (const [p, positions] of parsed.data.entries()) {
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
      });
    }
  }
}

await exportCsv('seniority-v2.csv', 'csv-seniority', 'seniority');
await exportCsv('department-v2.csv', 'csv-department', 'department');
await exportCvs(join(args.data, 'linkedin-cvs-annotated-dev.json'), 'cv-dev');
await exportCvs(join(args.data, 'linkedin-cvs-not-annotated.json'), 'cv-unlabeled');
await exportCvs(args.golden!, 'golden');
out.end();
await once(out, 'finish');
const encoderFile = `${args.out}.encoder.f32`;
rmSync(encoderFile, { force: true });
let encoder: object | null = null;
if (existsSync(join(args.encoder!, 'encoder.json'))) {
  const started = Date.now();
  const sentenceEncoder = await SentenceEncoder.load(args.encoder!);
  const { data, width } = await sentenceEncoder.features(prepared);
  writeFileSync(encoderFile, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  const { version, dim } = sentenceEncoder.info;
  encoder = { version, dim, conceptsSha256: sentenceEncoder.conceptsSha256, features: encoderFeatureNames(dim) };
  process.stderr.write(`encoded ${rows} titles (${sentenceEncoder.cacheStats().computed} distinct) with ${version} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${width} encoder features each\n`);
  await sentenceEncoder.dispose();
} else {
  process.stderr.write(`no sentence encoder in ${args.encoder}: the dataset has no encoder features (npm run models:encoder adds it)\n`);
}
// The feature names travel beside the rows, so Python never hard-codes the vector layout.
writeFileSync(`${args.out}.meta.json`, `${JSON.stringify({ denseFeatures: DENSE_FEATURES, encoder }, null, 2)}\n`);
process.stderr.write(`wrote ${rows} rows with ${DENSE_FEATURES.length} dense features to ${args.out}\n`);
