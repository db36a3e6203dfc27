/**
 * The keyword classifier: rules from `config/keywords.json` matched on the standardized title,
 * accent-insensitive and on whole words. Per task, the strongest matching rule decides; its weight
 * is the confidence, lowered when a rule for another class came close. No match gives the task's
 * default class (Professional, Other) with a low confidence. Matching is pure; the caller loads the
 * rule table (keyword-rules.ts) and passes it in.
 */
import { CLASSES, TASKS, type LabelOf, type Task } from '../domain/labels.ts';
import type { KeywordResult, PositionPrediction, PreparedTitle, TaskPrediction, TitleClassifier } from '../domain/prediction.ts';
import { compileScanner, foldAccents, toWords, type PatternHit, type PatternScanner, type Words } from '../text/patterns.ts';
import { createTitlePreparer, type TitlePreparer } from '../text/prepare.ts';
import type { KeywordConfig, KeywordRule, KeywordRules } from './keyword-rules.ts';

/** Competing classes whose weights differ by less than this lower the winner's confidence. */
const CLOSE_MARGIN = 0.2;

interface CompiledRule {
  id: string;
  label: string;
  weight: number;
  /** Finds what switches the rule off, or null. */
  unless: PatternScanner<true> | null;
}

interface TaskMatcher<T extends Task> {
  /**
   * `folded` holds the words of the accent-folded standardized title. `scores` is the weight of the
   * strongest matching rule per class, in class-list order (0 where none matched): the rule outputs
   * that trained members read as features.
   */
  predict(folded: Words, standardized: string): { prediction: TaskPrediction<LabelOf<T>>; scores: number[] };
}

function compileUnless(rule: KeywordRule): PatternScanner<true> | null {
  if (!rule.unless || rule.unless.length === 0) return null;
  return compileScanner(
    rule.unless.map((pattern) => ({ pattern, payload: true as const })),
    { fold: true },
  );
}

function compileTask<T extends Task>(task: T, rules: KeywordRules): TaskMatcher<T> {
  const compiled = (rules.rules[task] as readonly KeywordRule[]).map(
    (rule): CompiledRule => ({ id: rule.id, label: rule.class, weight: rule.weight, unless: compileUnless(rule) }),
  );
  const scanner = compileScanner(
    (rules.rules[task] as readonly KeywordRule[]).flatMap((rule, i) =>
      rule.patterns.map((pattern) => ({ pattern, payload: compiled[i]! })),
    ),
    { fold: true },
  );
  const fallback = rules.defaults[task];
  const classOrder = CLASSES[task] as readonly string[];

  return {
    predict(folded, standardized) {
      // Strongest hit per class; among equals the earliest in the title.
      const best = new Map<string, PatternHit<CompiledRule>>();
      for (const hit of scanner.scan(folded)) {
        const rule = hit.payload;
        if (rule.unless !== null && rule.unless.test(folded)) continue;
        const current = best.get(rule.label);
        if (current === undefined || rule.weight > current.payload.weight) best.set(rule.label, hit);
      }
      const scores = classOrder.map((label) => best.get(label)?.payload.weight ?? 0);
      const quoted = (hit: PatternHit<CompiledRule>) =>
        `"${standardized.slice(hit.index, hit.index + hit.text.length)}"`;
      if (best.size === 0) {
        const prediction: TaskPrediction<LabelOf<T>> = {
          label: fallback.class as LabelOf<T>,
          confidence: fallback.confidence,
          source: 'keywords',
          why: `no rule matched; default ${fallback.class}`,
        };
        return { prediction, scores };
      }
      const ranked = [...best.values()].sort(
        (a, b) =>
          b.payload.weight - a.payload.weight ||
          a.index - b.index ||
          classOrder.indexOf(a.payload.label) - classOrder.indexOf(b.payload.label),
      );
      const winner = ranked[0]!;
      const runnerUp = ranked[1];
      const weight = winner.payload.weight;
      const closeness = runnerUp === undefined ? 0 : Math.max(0, 1 - (weight - runnerUp.payload.weight) / CLOSE_MARGIN);
      let why = `rule ${winner.payload.id} matched ${quoted(winner)}`;
      if (runnerUp !== undefined) {
        why += `; over rule ${runnerUp.payload.id} matched ${quoted(runnerUp)} (${runnerUp.payload.label})`;
      }
      const prediction: TaskPrediction<LabelOf<T>> = {
        label: winner.payload.label as LabelOf<T>,
        confidence: weight * (1 - 0.5 * closeness),
        source: 'keywords',
        why,
      };
      return { prediction, scores };
    },
  };
}

/** A pure predictor for one rule table. */
export type KeywordPredictor = (title: PreparedTitle) => PositionPrediction;

/** The prediction plus the per-class rule scores of each task. */
export type KeywordScorer = (title: PreparedTitle) => KeywordResult;

/** Compiles a validated rule table into a scorer; every regular expression is built here, once. */
export function createKeywordScorer(rules: KeywordRules): KeywordScorer {
  const matchers = Object.fromEntries(TASKS.map((task) => [task, compileTask(task, rules)])) as {
    [T in Task]: TaskMatcher<T>;
  };
  return (title) => {
    const standardized = title.standardized;
    const folded = toWords(foldAccents(standardized));
    const seniority = matchers.seniority.predict(folded, standardized);
    const department = matchers.department.predict(folded, standardized);
    return {
      prediction: { seniority: seniority.prediction, department: department.prediction },
      scores: { seniority: seniority.scores, department: department.scores },
    };
  };
}

/** Compiles a validated rule table into a predictor. */
export function createKeywordPredictor(rules: KeywordRules): KeywordPredictor {
  const score = createKeywordScorer(rules);
  return (title) => score(title).prediction;
}

/** `keywords-` and the content hash of the configuration. */
export function keywordModelVersion(config: KeywordConfig): string {
  return `keywords-${config.contentHash}`;
}

/**
 * The keyword rules as a `TitleClassifier`. Its model version names the exact rule, standard,
 * abbreviation and gender tables, so changing any rule changes the version the predictions carry.
 */
export class KeywordClassifier implements TitleClassifier {
  readonly modelVersion: string;
  readonly prepare: TitlePreparer;
  readonly #predict: KeywordPredictor;

  constructor(config: KeywordConfig) {
    this.modelVersion = keywordModelVersion(config);
    this.prepare = createTitlePreparer(config.text);
    this.#predict = createKeywordPredictor(config.rules);
  }

  /** One prediction per title, in input order. */
  async classify(titles: readonly PreparedTitle[]): Promise<PositionPrediction[]> {
    return titles.map(this.#predict);
  }

  /** The prediction for one title. */
  predict(title: PreparedTitle): PositionPrediction {
    return this.#predict(title);
  }
}
