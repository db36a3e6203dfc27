/**
 * `classify --csv` in process, with the keyword rules as the classifier (fast, deterministic):
 * every row comes out in order, bad rows with the reason in the Error column, and file-level
 * problems named with what was found and what was expected.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { KeywordClassifier } from '../../src/classify/keywords.ts';
import { OUTPUT_COLUMNS, classifyCsv, renderSummary } from '../../src/cli/classify-csv.ts';
import { checkCsvPaths, parseColumns } from '../../src/cli/csv-options.ts';
import { createProgress } from '../../src/cli/progress.ts';
import { titleAnswer } from '../../src/pipeline/answer.ts';
import { scoreTitles } from '../../src/pipeline/score.ts';
import { keywordConfig } from '../helpers/text.ts';

const dir = mkdtempSync(join(tmpdir(), 'cv-csv-'));
const classifier = new KeywordClassifier(keywordConfig);
const off = createProgress({ label: 'classify', unit: 'rows', enabled: false });
let n = 0;

async function classify(content: string, options: { delimiter?: string; columns?: Record<string, string> } = {}) {
  const input = join(dir, `in-${++n}.csv`);
  const output = join(dir, `out-${n}.csv`);
  writeFileSync(input, content);
  const summary = await classifyCsv(classifier, { input, output, delimiter: options.delimiter ?? ',', columns: options.columns ?? {} }, off);
  const rows = parse(readFileSync(output, 'utf8'), { relax_column_count: true }) as string[][];
  return { input, summary, header: rows[0]!, rows: rows.slice(1) };
}

describe('classify --csv', () => {
  it('writes every row in order, bad ones with empty predictions and the reason', async () => {
    const long = 'x'.repeat(301);
    const { header, rows, summary } = await classify(
      `Record ID,Job Title,Organization\n1,Senior Software Engineer,ACME\n2,,ACME\n3,${long},ACME\n4,Head of Sales,ACME,extra\n\n5,"Leiterin\nVertrieb",ACME GmbH\n8,12" Pizza Chef,"Pizza ""Roma"""\n6,"never closed,X\n7,Buchhalterin,\n`,
    );
    expect(header).toEqual(['Record ID', 'Job Title', 'Organization', ...OUTPUT_COLUMNS]);
    expect(rows.map((r) => r.slice(0, 3))).toEqual([
      ['1', 'Senior Software Engineer', 'ACME'],
      ['2', '', 'ACME'],
      ['3', long, 'ACME'],
      ['4', 'Head of Sales', 'ACME'],
      ['5', 'Leiterin\nVertrieb', 'ACME GmbH'],
      ['8', '12" Pizza Chef', 'Pizza "Roma"'],
      ['', '', ''],
      ['7', 'Buchhalterin', ''],
    ]);
    const error = (r: string[]) => r[header.indexOf('Error')];
    expect(rows.map(error)).toEqual([
      '',
      'title is empty',
      expect.stringMatching(/^title .*300/),
      'has 4 fields, the header has 3',
      '',
      '',
      'unreadable CSV record (a quote is never closed): "6,\\"never closed,X"',
      '',
    ]);
    // Every rejected row keeps its width and has no prediction.
    for (const r of rows) expect(r.length).toBe(header.length);
    for (const r of rows.filter((r) => error(r) !== '')) expect(r[header.indexOf('Seniority')]).toBe('');
    expect(summary.rows).toBe(8);
    // Lines of the file: the blank line 6 is skipped, record 5 spans lines 7 and 8. A quote never
    // closed loses its own line only (a later quote would close it: CSV cannot tell those apart).
    expect(summary.rejected.map((r) => [r.line, r.id])).toEqual([[3, '2'], [4, '3'], [5, '4'], [10, null]]);
    expect(renderSummary('in.csv', summary)).toMatch(/^classify: 8 rows, 4 scored, 4 rejected\n {2}in\.csv line 3 \(id 2\): title is empty\n/);
  });

  it('gives each row the answer scoreTitles gives its title and organization', async () => {
    const titles = [['Senior Software Engineer', 'ACME'], ['Leiterin Vertrieb', 'ACME GmbH'], ['comptable', '']];
    const { header, rows } = await classify(`Job Title,Organization\n${titles.map((t) => t.join(',')).join('\n')}\n`);
    const expected = (await scoreTitles(titles.map(([title, org]) => ({ title: title!, organization: org || null })), classifier)).map(titleAnswer);
    rows.forEach((row, i) => {
      expect(row[header.indexOf('Seniority')]).toBe(expected[i]!.seniority.label);
      expect(row[header.indexOf('Department')]).toBe(expected[i]!.department.label);
      expect(Number(row[header.indexOf('Department Confidence')])).toBeCloseTo(expected[i]!.department.confidence, 4);
    });
  });

  it('reads the columns named by --columns, with another delimiter', async () => {
    const { header, rows } = await classify('Ref;Company;Position\nA1;ACME;Head of Purchasing\n', { delimiter: ';', columns: parseColumns('title=position, org=Company, id=Ref') });
    expect(rows[0]!.slice(0, 3)).toEqual(['A1', 'ACME', 'Head of Purchasing']);
    expect(rows[0]![header.indexOf('Department')]).toBe('Purchasing');
  });

  it('names the header found and the one expected, and suggests --delimiter', async () => {
    await expect(classify('Record ID;Job Title\n1;CEO\n')).rejects.toThrow(/found header "Record ID;Job Title", expected "Record ID,Job Title,Organization".*try --delimiter ";"/);
    await expect(classify('Name,Role\nAda,CEO\n')).rejects.toThrow(/no title column; found header "Name,Role"/);
    await expect(classify('Name,Role\nAda,CEO\n', { columns: { title: 'Titel' } })).rejects.toThrow(/no column "Titel" \(--columns title=…\); found header "Name,Role"/);
  });

  it('says an empty file is empty', async () => {
    await expect(classify('')).rejects.toThrow(/the file is empty/);
    await expect(classify('\n\n')).rejects.toThrow(/the file is empty/);
  });

  it('parses --columns and refuses a spec without a title', () => {
    expect(parseColumns('title="Job",organization=Firma')).toEqual({ title: '"Job"', org: 'Firma' });
    expect(() => parseColumns('org=Firma')).toThrow(/name the title column/);
    expect(() => parseColumns('name=X')).toThrow(/ROLE=HEADER/);
  });

  it('checks the paths before anything loads', async () => {
    await expect(checkCsvPaths({ input: join(dir, 'nope.csv') })).rejects.toThrow(/no such file/);
    await expect(checkCsvPaths({ input: dir })).rejects.toThrow(/not a file/);
    const input = join(dir, 'paths.csv');
    writeFileSync(input, 'Job Title\nCEO\n');
    await expect(checkCsvPaths({ input, output: join(dir, 'missing', 'out.csv') })).rejects.toThrow(/does not exist or is not writable/);
    await expect(checkCsvPaths({ input, output: input })).rejects.toThrow(/is the input file/);
  });
});
