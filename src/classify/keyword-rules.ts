/**
 * The keyword rule table (`config/keywords.json`): its schema, and loading it with the text tables
 * the rules are written against. A bad rule is reported by its id and place in the file, so a rule
 * author can find it without reading this code.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DEPARTMENT_CLASSES, SENIORITY_CLASSES, TASKS, type Task } from '../domain/labels.ts';
import { patternProblem } from '../text/patterns.ts';
import {
  DEFAULT_CONFIG_DIR,
  TEXT_CONFIG_FILES,
  loadTextConfig,
  readConfigFile,
  type ConfigDir,
  type TextConfig,
} from '../text/text-config.ts';

export const KEYWORD_RULES_FILE = 'keywords.json';

const pattern = z.string().superRefine((p, ctx) => {
  const problem = patternProblem(p);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `pattern "${p}" ${problem}` });
});

const ruleSchema = <C extends readonly [string, ...string[]]>(classes: C) =>
  z.object({
    /** Stable name shown in explanations, e.g. "sen.lead.teamleiter". */
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, { message: 'must be lowercase letters, digits, ".", "_" or "-"' }),
    class: z.enum(classes),
    /** Priority and confidence in one: the strongest matching rule decides, and its weight is the confidence. */
    weight: z.number().gt(0).max(1),
    /** Words or phrases on the standardized title; see src/text/patterns.ts for the syntax. */
    patterns: z.array(pattern).min(1, { message: 'has no patterns' }),
    /** The rule is ignored for titles that match any of these. */
    unless: z.array(pattern).optional(),
    /** Why the rule exists, for its readers. */
    note: z.string().optional(),
  });

const defaultSchema = <C extends readonly [string, ...string[]]>(classes: C) =>
  z.object({ class: z.enum(classes), confidence: z.number().min(0).max(1) });

export const KeywordRulesSchema = z.object({
  /** What each task predicts when no rule matches. */
  defaults: z.object({
    seniority: defaultSchema(SENIORITY_CLASSES),
    department: defaultSchema(DEPARTMENT_CLASSES),
  }),
  rules: z.object({
    seniority: z.array(ruleSchema(SENIORITY_CLASSES)),
    department: z.array(ruleSchema(DEPARTMENT_CLASSES)),
  }),
});
export type KeywordRules = z.infer<typeof KeywordRulesSchema>;
export type KeywordRule<T extends Task = Task> = KeywordRules['rules'][T][number];

/** Names the rule a zod issue path points into: `rule "sen.x" (rules.seniority[3])`. */
function ruleName(json: unknown, path: readonly PropertyKey[]): string | null {
  if (path[0] !== 'rules' || typeof path[1] !== 'string' || typeof path[2] !== 'number') return null;
  const rules = (json as { rules?: Record<string, unknown> }).rules?.[path[1]];
  const rule = Array.isArray(rules) ? (rules[path[2]] as { id?: unknown } | undefined) : undefined;
  const where = `rules.${path[1]}[${path[2]}]`;
  return typeof rule?.id === 'string' ? `rule "${rule.id}" (${where})` : `rule ${where}`;
}

/**
 * Validates a parsed rule table. Throws an Error whose message names each bad rule by id and
 * position and says what is wrong with it; `source` names the file in the message.
 */
export function parseKeywordRules(json: unknown, source = KEYWORD_RULES_FILE): KeywordRules {
  const result = KeywordRulesSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const rule = ruleName(json, issue.path);
      const field = rule === null ? issue.path.join('.') || '(root)' : issue.path.slice(3).join('.') || '(rule)';
      return rule === null ? `${field}: ${issue.message}` : `${rule} ${field}: ${issue.message}`;
    });
    throw new Error(`keyword rules in ${source} are invalid: ${problems.join('; ')}`);
  }
  const rules = result.data;
  const seen = new Map<string, string>();
  for (const task of TASKS) {
    rules.rules[task].forEach((rule, i) => {
      const where = `rules.${task}[${i}]`;
      const first = seen.get(rule.id);
      if (first !== undefined) {
        throw new Error(`keyword rules in ${source} are invalid: rule "${rule.id}" (${where}) repeats the id of ${first}`);
      }
      seen.set(rule.id, where);
    });
  }
  return rules;
}

/** Everything the keyword classifier runs on, and the hash that names that exact configuration. */
export interface KeywordConfig {
  rules: KeywordRules;
  text: TextConfig;
  /** First 10 hex digits of sha256 over the rule, standard, abbreviation and gender tables. */
  contentHash: string;
}

/** The files whose contents decide a keyword prediction, in hash order. */
const HASHED_FILES = [
  KEYWORD_RULES_FILE,
  TEXT_CONFIG_FILES.titleStandards,
  TEXT_CONFIG_FILES.abbreviations,
  TEXT_CONFIG_FILES.genderForms,
] as const;

/** sha256 over `name\0content\0` of each file, so moving text between files changes the hash too. */
export function configContentHash(sources: Readonly<Record<string, string>>): string {
  const hash = createHash('sha256');
  for (const file of HASHED_FILES) hash.update(`${file}\0${sources[file] ?? ''}\0`);
  return hash.digest('hex').slice(0, 10);
}

/** Reads and validates the keyword rules and the text tables of a config directory. */
export function loadKeywordRules(dir: ConfigDir = DEFAULT_CONFIG_DIR): KeywordConfig {
  const text = loadTextConfig(dir);
  const { text: source, json } = readConfigFile(dir, KEYWORD_RULES_FILE);
  const rules = parseKeywordRules(json, KEYWORD_RULES_FILE);
  const sources = { ...text.sources, [KEYWORD_RULES_FILE]: source };
  return { rules, text: { ...text, sources }, contentHash: configContentHash(sources) };
}
