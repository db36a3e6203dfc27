/**
 * Features of a title for the trained members. This is the only featurization code: the training
 * export (training/export-dataset.ts) writes these features for Python to fit on, and serving
 * computes them again here, so training and serving cannot drift apart.
 */
import { CLASSES, TASKS, seniorityLevel, type Seniority } from '../domain/labels.ts';
import type { KeywordResult, PreparedTitle, ProfileContext } from '../domain/prediction.ts';
import { foldAccents } from '../text/patterns.ts';
import { chronologicalOrder, parseMonth } from './months.ts';
import { normalizeOrganization } from '../text/normalize.ts';

const WORD = /[\p{L}\p{N}]+/gu;

/**
 * The sparse view: character 2–5-grams inside each word (padded with spaces, so word starts and
 * ends are their own n-grams: " cfo", "cfo ") and word 1–2-grams, on the accent-folded
 * standardized title. Each n-gram appears once; the member looks them up in its vocabulary.
 */
export function titleNgrams(title: PreparedTitle): string[] {
  const words = foldAccents(title.standardized).match(WORD) ?? [];
  const grams = new Set<string>();
  for (const word of words) {
    const padded = ` ${word} `;
    for (let n = 2; n <= 5; n++) {
      for (let i = 0; i + n <= padded.length; i++) grams.add(`c:${padded.slice(i, i + n)}`);
    }
  }
  words.forEach((word, i) => {
    grams.add(`w:${word}`);
    if (i + 1 < words.length) grams.add(`w:${word} ${words[i + 1]}`);
  });
  return [...grams];
}

/** Names of the dense features, in vector order; the manifest repeats them and serving checks. */
export const DENSE_FEATURES: readonly string[] = [
  ...TASKS.flatMap((task) => CLASSES[task].map((c) => `kw_${task}_${c}`)),
  'kw_seniority_matched',
  'kw_department_matched',
  'lang_en',
  'lang_de',
  'lang_fr',
  'lang_unknown',
  'title_words',
  'title_chars',
  'title_has_digit',
  'title_has_separator',
  'title_upper_ratio',
  // Context: the position's place in its profile. A bare title is a profile of that one position
  // (title and organization, no dates, no status), so both answer alike; missing (NaN) only for
  // the training title lists, which come from no profile.
  'ctx_positions',
  'ctx_index',
  'ctx_chrono_rank',
  'ctx_status_active',
  'ctx_status_inactive',
  'ctx_duration_months',
  'ctx_start_year',
  'ctx_years_since_first_start',
  'ctx_prev_kw_level',
  'ctx_next_kw_level',
  'ctx_max_kw_level',
  'ctx_same_org_positions',
  // 1 only on rows of the title CSVs during training, whose label conventions differ from CVs';
  // serving scores CVs, so it is always 0 here and the members apply the CV conventions.
  'domain_csv',
];

/**
 * Where a title comes from, for its context features: its profile; `null`, a bare title, scored as
 * the one position of a profile (`standaloneContext`); or `TITLE_LIST`, a row of the training
 * title lists (the CSVs), which belongs to no profile and has every context feature missing, so
 * the model can keep the lists' label conventions apart from CVs'.
 */
export type TitleContext = ProfileContext | null | typeof TITLE_LIST;
export const TITLE_LIST = 'title-list';

/**
 * The dense view: the keyword rules' per-class scores, language, title shape and the position's
 * context. `kw` holds the keyword results of the whole profile when a profile is given (same order
 * as `context.positions`), else of the title alone.
 */
export function denseFeatures(title: PreparedTitle, kw: readonly KeywordResult[], context: TitleContext): number[] {
  const profile = context === TITLE_LIST ? null : context;
  const own = kw[profile?.index ?? 0]!;
  const words = title.standardized.match(WORD) ?? [];
  const letters = title.raw.match(/\p{L}/gu) ?? [];
  const upper = title.raw.match(/\p{Lu}/gu) ?? [];
  return [
    ...own.scores.seniority,
    ...own.scores.department,
    own.scores.seniority.some((s) => s > 0) ? 1 : 0,
    own.scores.department.some((s) => s > 0) ? 1 : 0,
    title.language === 'en' ? 1 : 0,
    title.language === 'de' ? 1 : 0,
    title.language === 'fr' ? 1 : 0,
    title.language === 'unknown' ? 1 : 0,
    words.length,
    title.standardized.length,
    /\d/.test(title.raw) ? 1 : 0,
    /[&/,|+]| - | und | and | et /.test(title.raw) ? 1 : 0,
    letters.length === 0 ? 0 : upper.length / letters.length,
    ...(context === TITLE_LIST ? CONTEXT_MISSING : contextFeatures(profile ?? standaloneContext(title), profile ? kw : [own])),
    0,
  ];
}

const CONTEXT_MISSING: readonly number[] = new Array<number>(DENSE_FEATURES.filter((f) => f.startsWith('ctx_')).length).fill(Number.NaN);

/**
 * The context of a bare title: a profile holding that one position, with its organization and
 * nothing else, as many real CVs are. So `classify TITLE` answers exactly as `run` does for a
 * one-position profile without dates or status, in the CV conventions, not the title lists'.
 */
export function standaloneContext(title: PreparedTitle): ProfileContext {
  return { index: 0, positions: [{ position: title.raw, organization: title.organization }], titles: [title] };
}

function keywordLevel(result: KeywordResult): number {
  return seniorityLevel(result.prediction.seniority.label as Seniority);
}

function contextFeatures({ index, positions }: ProfileContext, kw: readonly KeywordResult[]): number[] {
  const position = positions[index]!;
  const starts = positions.map((p) => parseMonth(p.startDate, 'start'));
  const chrono = chronologicalOrder(starts);
  const rank = chrono.indexOf(index);
  const prev = rank > 0 ? chrono[rank - 1]! : null;
  const next = rank + 1 < chrono.length ? chrono[rank + 1]! : null;
  const start = starts[index] ?? null;
  const end = parseMonth(position.endDate, 'end');
  const dated = starts.filter((s): s is number => s !== null);
  const firstStart = dated.length > 0 ? Math.min(...dated) : null;
  const org = normalizeOrganization(position.organization);
  return [
    positions.length,
    index,
    positions.length > 1 ? rank / (positions.length - 1) : 0,
    position.status === 'ACTIVE' ? 1 : 0,
    position.status === 'INACTIVE' ? 1 : 0,
    start !== null && end !== null && end >= start ? end - start + 1 : Number.NaN,
    start !== null ? Math.floor(start / 12) : Number.NaN,
    start !== null && firstStart !== null ? (start - firstStart) / 12 : Number.NaN,
    prev !== null ? keywordLevel(kw[prev]!) : Number.NaN,
    next !== null ? keywordLevel(kw[next]!) : Number.NaN,
    Math.max(...kw.map(keywordLevel)),
    org === '' ? Number.NaN : positions.filter((p) => normalizeOrganization(p.organization) === org).length,
  ];
}

