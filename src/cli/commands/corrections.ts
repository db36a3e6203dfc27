import { createReadStream, createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { formatTable, printJson, withDatabase } from '../context.ts';

/** The CSV of `corrections export` and `import`: what applies now, one row per correction. */
export const CORRECTION_CSV_COLUMNS = ['title', 'positionId', 'seniority', 'department', 'author', 'createdAt'] as const;

export function registerCorrections(program: Command): void {
  const corrections = program.command('corrections').description("analysts' corrections of seniority and department (the workbench's, in the database)");
  corrections
    .command('list', { isDefault: true })
    .description('every correction row, oldest first, undos included')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { readCorrections } = await import('../../store/corrections.ts');
      const rows = await withDatabase(({ db }) => readCorrections(db));
      if (opts.json) return printJson(rows);
      process.stdout.write(
        `${formatTable(
          ['id', 'when', 'who', 'title / position', 'seniority', 'department', 'state'],
          rows.map((r) => [r.id, r.createdAt.slice(0, 19), r.author, r.title ?? r.positionId ?? '', r.seniority ?? '', r.department ?? '', r.undoes !== null ? `undoes ${r.undoes}` : r.undone ? 'undone' : 'applies']),
          ['right', 'left', 'left', 'left', 'left', 'left', 'left'],
        )}\n`,
      );
    });
  corrections
    .command('export')
    .description('write the corrections that apply now as CSV (title or positionId, seniority, department, author, createdAt): what `import` reads')
    .requiredOption('--csv <file>', 'the CSV to write ("-": stdout)')
    .action(async (opts: { csv: string }) => {
      const { stringify } = await import('csv-stringify');
      const { readCorrections } = await import('../../store/corrections.ts');
      const rows = await withDatabase(({ db }) => readCorrections(db));
      const live = rows.filter((r) => r.undoes === null && !r.undone);
      const records = live.map((r) => ({ ...r, title: r.title ?? '', positionId: r.positionId ?? '', seniority: r.seniority ?? '', department: r.department ?? '' }));
      await pipeline(Readable.from(records), stringify({ header: true, columns: [...CORRECTION_CSV_COLUMNS] }), opts.csv === '-' ? process.stdout : createWriteStream(opts.csv));
      if (opts.csv !== '-') process.stderr.write(`exported ${live.length} corrections to ${opts.csv}\n`);
    });
  corrections
    .command('import')
    .description('add the corrections of a CSV written by `export` (each applied to the stored predictions as the workbench does); rows that are not valid are reported by line and the others still imported')
    .requiredOption('--csv <file>', 'the CSV to read')
    .option('--author <name>', 'who made the rows without an author column value', process.env.USER ?? 'import')
    .action(async (opts: { csv: string; author: string }) => {
      const { parse } = await import('csv-parse');
      const { CorrectionRequestSchema } = await import('../../domain/correction.ts');
      const { describeIssues } = await import('../../domain/profile.ts');
      const { addCorrection, CorrectionError } = await import('../../store/corrections.ts');
      const { loadKeywordRules } = await import('../../classify/keyword-rules.ts');
      const { createTitlePreparer } = await import('../../text/prepare.ts');
      // The text stage scoring uses (config/), to key title corrections as scoring will look them up.
      const prepare = createTitlePreparer(loadKeywordRules().text);
      let imported = 0;
      const rejected: string[] = [];
      await withDatabase(async ({ db }) => {
        const records = createReadStream(opts.csv).pipe(parse({ columns: true, bom: true, skip_empty_lines: true, info: true }));
        for await (const { record, info } of records as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
          const blankless = Object.fromEntries(
            ['title', 'positionId', 'seniority', 'department'].flatMap((k) => (record[k]?.trim() ? [[k, record[k]]] : [])),
          );
          const parsed = CorrectionRequestSchema.safeParse(blankless);
          const when = record.createdAt ? new Date(record.createdAt) : undefined;
          if (!parsed.success || (when && Number.isNaN(when.getTime()))) {
            rejected.push(`line ${info.lines}: ${parsed.success ? 'createdAt is not a date' : describeIssues(parsed.error)}`);
            continue;
          }
          try {
            await addCorrection(db, parsed.data, record.author?.trim() || opts.author, (t) => prepare(t, null).normalized, when);
            imported += 1;
          } catch (err) {
            if (!(err instanceof CorrectionError)) throw err;
            rejected.push(`line ${info.lines}: ${err.message}`);
          }
        }
      });
      process.stderr.write(`imported ${imported} corrections from ${opts.csv}${rejected.length ? `; rejected ${rejected.length}:\n  ${rejected.join('\n  ')}` : ''}\n`);
      if (rejected.length > 0) process.exitCode = 1;
    });
}
