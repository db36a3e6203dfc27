/**
 * The tables the text stage runs on, each a JSON file in `config/`, validated with zod when loaded.
 * Files are read once per config directory; everything that uses the tables is pure.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { patternProblem } from './patterns.ts';
import { describeIssues } from '../domain/profile.ts';

/** `<repo>/config/`, where every rule table lives unless a caller names another directory. */
export const DEFAULT_CONFIG_DIR = new URL('../../config/', import.meta.url);

export type ConfigDir = string | URL;

/** The file names of the text tables, in the order their contents enter a model version hash. */
export const TEXT_CONFIG_FILES = {
  abbreviations: 'abbreviations.json',
  genderForms: 'gender-forms.json',
  languageMarkers: 'language-markers.json',
  titleStandards: 'title-standards.json',
} as const;

const nonEmpty = z.string().trim().min(1, { message: 'is empty' });
const phraseTable = z.record(nonEmpty, z.string());

export const AbbreviationsSchema = z.object({
  /** Symbols that punctuation removal would destroy ("c++", "c#", ".net") → a word. */
  symbols: z.record(nonEmpty, nonEmpty),
  /** Abbreviation (matched after punctuation removal, so "sr." and "sr" are one key) → expansion. */
  abbreviations: phraseTable,
});
export type Abbreviations = z.infer<typeof AbbreviationsSchema>;

export const TitleStandardsSchema = z.object({
  /** Normalized variant or acronym → standard title, applied word-wise. */
  standards: phraseTable,
});
export type TitleStandards = z.infer<typeof TitleStandardsSchema>;

const SuffixRuleSchema = z.object({
  suffix: nonEmpty,
  replace: z.string(),
  /** Letters that must remain before the suffix. */
  minStem: z.number().int().min(0),
  /** Name of a set in `stemSets`; the stem must end with one of its endings. */
  stemSet: z.string().optional(),
});

export const GenderFormsSchema = z
  .object({
    /** Named lists of word endings, e.g. the endings of German role nouns (-er, -ent, -ant, ...). */
    stemSets: z.record(z.string(), z.array(nonEmpty).min(1)),
    /** Stem set that a German "-in"/"-innen" marker form ("Leiter-in", "LeiterIn") must end with. */
    markerStemSet: z.string(),
    /** Feminine word endings → masculine, tried in order, first match wins. */
    suffixRules: z.array(SuffixRuleSchema),
    /** Whole feminine words whose masculine form no suffix rule derives. */
    words: z.record(nonEmpty, nonEmpty),
    /** Words that look feminine but are not ("berlin"); never rewritten. */
    keep: z.array(nonEmpty),
  })
  .superRefine((cfg, ctx) => {
    const sets = [cfg.markerStemSet, ...cfg.suffixRules.flatMap((r) => (r.stemSet ? [r.stemSet] : []))];
    for (const name of sets) {
      if (!(name in cfg.stemSets)) ctx.addIssue({ code: 'custom', message: `names unknown stem set "${name}"` });
    }
  });
export type GenderForms = z.infer<typeof GenderFormsSchema>;

const markerWord = nonEmpty.superRefine((w, ctx) => {
  const problem = patternProblem(w);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `marker "${w}" ${problem}` });
});

const LanguageMarkerSchema = z.object({
  /** Letters that only this language uses in titles (ä, ö, ü, ß for German). */
  chars: z.string(),
  /** Marker words or phrases (patterns, see patterns.ts); each occurrence scores `wordWeight`. */
  words: z.array(markerWord).min(1),
  /** Loanwords other languages use too; each occurrence scores `weakWordWeight`. */
  weakWords: z.array(markerWord),
});

export const LanguageMarkersSchema = z.object({
  wordWeight: z.number().positive(),
  weakWordWeight: z.number().nonnegative(),
  charWeight: z.number().nonnegative(),
  /** Titles at least this long (in characters) use the trigram detector to break ties. */
  francMinChars: z.number().int().positive(),
  languages: z.object({ en: LanguageMarkerSchema, de: LanguageMarkerSchema, fr: LanguageMarkerSchema }),
});
export type LanguageMarkers = z.infer<typeof LanguageMarkersSchema>;

export interface TextConfig {
  abbreviations: Abbreviations;
  genderForms: GenderForms;
  languageMarkers: LanguageMarkers;
  titleStandards: TitleStandards;
  /** The files' contents as read, by file name, for model version hashes. */
  sources: Record<string, string>;
}

/** Reads a JSON file from a config directory; the error names the file and why. */
export function readConfigFile(dir: ConfigDir, file: string): { text: string; json: unknown } {
  const base = typeof dir === 'string' ? pathToFileURL(dir.endsWith('/') ? dir : `${dir}/`) : dir;
  const url = new URL(file, base);
  const path = fileURLToPath(url);
  let text: string;
  try {
    text = readFileSync(url, 'utf8');
  } catch (err) {
    throw new Error(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  try {
    return { text, json: JSON.parse(text) as unknown };
  } catch (err) {
    throw new Error(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Validates parsed JSON against a schema; the error names the file and each bad field. */
export function parseConfig<T>(schema: z.ZodType<T>, json: unknown, file: string): T {
  const result = schema.safeParse(json);
  if (!result.success) throw new Error(`config file ${file} is invalid: ${describeIssues(result.error)}`);
  return result.data;
}

/** Reads and validates the four text tables of a config directory. */
export function loadTextConfig(dir: ConfigDir = DEFAULT_CONFIG_DIR): TextConfig {
  const sources: Record<string, string> = {};
  const load = <T>(schema: z.ZodType<T>, file: string): T => {
    const { text, json } = readConfigFile(dir, file);
    sources[file] = text;
    return parseConfig(schema, json, file);
  };
  return {
    abbreviations: load(AbbreviationsSchema, TEXT_CONFIG_FILES.abbreviations),
    genderForms: load(GenderFormsSchema, TEXT_CONFIG_FILES.genderForms),
    languageMarkers: load(LanguageMarkersSchema, TEXT_CONFIG_FILES.languageMarkers),
    titleStandards: load(TitleStandardsSchema, TEXT_CONFIG_FILES.titleStandards),
    sources,
  };
}
