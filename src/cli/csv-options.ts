/**
 * The options of `classify --csv` and the checks that need no model: parsed and run before
 * anything heavy loads (classify-csv.ts, the classifier), so a wrong flag or path answers at once.
 */
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';

/** The roles a column can play, and the header names each is found under by default (any case). */
export const ROLES = {
  title: ['job title', 'title', 'position'],
  org: ['organization', 'organisation', 'company'],
  id: ['record id', 'id'],
} as const;
export type Role = keyof typeof ROLES;
export type ColumnNames = Partial<Record<Role, string>>;

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

/**
 * The checks that need no model: the input is a readable file, the output's folder exists and is
 * writable, and the output is not the input. Run before the models load (seconds).
 */
export async function checkCsvPaths({ input, output }: { input: string; output?: string }): Promise<void> {
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

export const DelimiterSchema = z
  .string()
  .transform((d) => (d === '\\t' || d.toLowerCase() === 'tab' ? '\t' : d))
  .refine((d) => d.length === 1 && !/["\r\n]/.test(d), { message: 'must be one character other than a quote or a line break (\\t or tab for a tab)' });
