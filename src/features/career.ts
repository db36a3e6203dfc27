/**
 * Career-trajectory features of one profile, computed from its positions and their predicted
 * seniority and department. Pure: "now" is the caller's `asOf` month, never the clock.
 *
 * Date conventions (see months.ts): spans count both their first and last month, so 2020-01 to
 * 2020-12 is 12 months and a handover within one month counts as one month of overlap. Dates after
 * `asOf` are clamped to `asOf`, and an end before its start is raised to the start, so no span is
 * ever negative; both are counted in `dateIssues`.
 */
import type { CareerFeatures, CareerInput } from '../domain/career.ts';
import type { ScoredPosition } from '../domain/prediction.ts';
import { seniorityLevel } from '../domain/labels.ts';
import { chronologicalOrder, monthsInclusive, parseAsOf, parseMonth } from './months.ts';
import { normalizeOrganization } from '../text/normalize.ts';


/** The interface comments again, as data: the README's table of career features is checked against them. */
export const CAREER_FEATURE_DOCS: Record<keyof CareerFeatures, string> = {
  currentPositionIndex:
    'Index (input order) of the current position: latest-starting ACTIVE one, else the one that ended last; null if no positions.',
  currentSeniority: 'Seniority of the current position; null if no positions.',
  currentDepartment: 'Department of the current position; null if no positions.',
  positionCount: 'Number of positions, dated or not.',
  organizationCount: 'Distinct organization names, compared case- and whitespace-insensitively; empty names ignored.',
  totalExperienceMonths: 'Months covered by at least one dated position (overlapping months counted once).',
  currentTenureMonths: 'Duration in months of the current position; null if its start or end is unknown.',
  meanTenureMonths: 'Mean duration in months of the positions with a known span; null if there are none.',
  gapMonths: 'Months between the first start and the last end covered by no position.',
  overlapMonths: 'Months covered by more than one position, each month counted once.',
  longestGapMonths: 'Longest run of uncovered months between the first start and the last end.',
  levels:
    'Seniority level (Junior=1 … Management=6) of each position in chronological order: by start month, undated last, ties in reverse input order (CVs list the newest first).',
  highestLevel: 'Highest seniority level reached; null if no positions.',
  highestSeniority: 'Seniority label of the highest level reached; null if no positions.',
  senioritySlope:
    'Least-squares slope of level against years since the first start (levels per year); null if under 2 dated positions or no time spread.',
  promotions: 'Number of level increases between consecutive positions in chronological order.',
  stepDowns: 'Number of level decreases between consecutive positions in chronological order.',
  monthsToFirstLead:
    'Months from the first start to the start of the first dated position at Lead or above; null if never reached.',
  monthsToFirstDirector:
    'Months from the first start to the start of the first dated position at Director or above; null if never reached.',
  departmentChanges: 'Number of consecutive chronological positions whose department differs.',
  departmentConsistency: 'Share (0..1) of positions in the most frequent department; null if no positions.',
  distinctDepartments: 'Number of distinct departments.',
  dateIssues: 'Positions whose dates are inverted (end before start), after `asOf`, or unreadable.',
};

const LEAD_LEVEL = seniorityLevel('Lead');
const DIRECTOR_LEVEL = seniorityLevel('Director');

/** One position with its dates read, clamped and checked. */
interface Timed {
  index: number;
  input: CareerInput;
  level: number;
  /** First month, clamped to asOf; null when the CV gives no start. */
  start: number | null;
  /** Last month, clamped to [start, asOf]; asOf when ongoing; null when unknown (INACTIVE, no end date). */
  end: number | null;
  /** Ongoing: no end date and not INACTIVE. */
  ongoing: boolean;
  dateIssue: boolean;
}

type Dated = Timed & { start: number };
type Spanned = Timed & { start: number; end: number };

function isDated(t: Timed): t is Dated {
  return t.start !== null;
}

function hasSpan(t: Timed): t is Spanned {
  return t.start !== null && t.end !== null;
}

function duration(t: Spanned): number {
  return monthsInclusive(t.start, t.end);
}

/** A date that is present but cannot be read is a data problem, not a missing date. */
function isUnreadable(value: string | null | undefined, parsed: number | null): boolean {
  return parsed === null && value != null && value.trim() !== '';
}

function readTiming(input: CareerInput, index: number, asOf: number): Timed {
  const rawStart = parseMonth(input.startDate, 'start');
  const rawEnd = parseMonth(input.endDate, 'end');
  // A bare end year is only "future" when the whole year is: "until 2024" read in 2024-05 is fine.
  const endEarliest = parseMonth(input.endDate, 'start');
  const future = (rawStart !== null && rawStart > asOf) || (endEarliest !== null && endEarliest > asOf);
  const inverted = rawStart !== null && rawEnd !== null && rawEnd < rawStart;
  const unreadable = isUnreadable(input.startDate, rawStart) || isUnreadable(input.endDate, rawEnd);

  const start = rawStart === null ? null : Math.min(rawStart, asOf);
  const ongoing = rawEnd === null && input.status !== 'INACTIVE';
  let end: number | null = null;
  if (rawEnd !== null) {
    // Clamp to asOf first, then raise to the start: the result stays within [start, asOf].
    end = Math.min(rawEnd, asOf);
    if (start !== null) end = Math.max(end, start);
  } else if (ongoing) {
    end = asOf;
  }

  return {
    index,
    input,
    level: seniorityLevel(input.seniority),
    start,
    end,
    ongoing,
    dateIssue: future || inverted || unreadable,
  };
}

/** Lexicographic comparison of sort keys. */
function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** The item with the greatest key; on a tie the first one in input order wins. */
function firstMax(items: readonly Timed[], key: (t: Timed) => number[]): Timed | null {
  let best: Timed | null = null;
  for (const item of items) {
    if (best === null || compareKeys(key(item), key(best)) > 0) best = item;
  }
  return best;
}

/** How late a position ended, for picking the current one: ongoing is latest, and an unknown end is at least its start. */
function endRank(t: Timed): number {
  if (t.ongoing) return Infinity;
  return t.end ?? t.start ?? -Infinity;
}

function pickCurrent(timed: readonly Timed[]): Timed | null {
  const active = timed.filter((t) => t.input.status === 'ACTIVE');
  if (active.length > 0) return firstMax(active, (t) => [t.start ?? -Infinity]);
  return firstMax(timed, (t) => [endRank(t), t.start ?? -Infinity]);
}

/**
 * In chronological order (months.ts), read from the dates as given: clamping to asOf keeps the
 * order of starts, so the dated ones stay sorted by their clamped start too.
 */
function chronological(timed: readonly Timed[]): Timed[] {
  return chronologicalOrder(timed.map((t) => parseMonth(t.input.startDate, 'start'))).map((i) => timed[i]!);
}

function countOrganizations(inputs: readonly CareerInput[]): number {
  const names = new Set(inputs.map((p) => normalizeOrganization(p.organization)));
  names.delete('');
  return names.size;
}

interface Coverage {
  covered: number;
  overlap: number;
  gap: number;
  longestGap: number;
}

/**
 * Counts, month by month, how many positions cover each month between the first start and the
 * last end. CVs span at most a few hundred months, so counting is cheap and plainly correct.
 */
function coverage(spans: readonly Spanned[]): Coverage {
  const result: Coverage = { covered: 0, overlap: 0, gap: 0, longestGap: 0 };
  if (spans.length === 0) return result;
  const first = Math.min(...spans.map((s) => s.start));
  const last = Math.max(...spans.map((s) => s.end));
  const counts = new Array<number>(monthsInclusive(first, last)).fill(0);
  for (const span of spans) {
    for (let month = span.start; month <= span.end; month++) {
      const at = month - first;
      counts[at] = (counts[at] ?? 0) + 1;
    }
  }

  let currentGap = 0;
  for (const count of counts) {
    if (count > 0) result.covered += 1;
    if (count > 1) result.overlap += 1;
    currentGap = count === 0 ? currentGap + 1 : 0;
    result.longestGap = Math.max(result.longestGap, currentGap);
  }
  result.gap = counts.length - result.covered;
  return result;
}

function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** Ordinary least-squares slope of y on x; null when it is undefined (under 2 points or all x equal). */
function leastSquaresSlope(points: readonly { x: number; y: number }[]): number | null {
  if (points.length < 2) return null;
  const meanX = mean(points.map((p) => p.x)) ?? 0;
  const meanY = mean(points.map((p) => p.y)) ?? 0;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.x - meanX) ** 2;
    sxy += (p.x - meanX) * (p.y - meanY);
  }
  return sxx === 0 ? null : sxy / sxx;
}

function senioritySlope(dated: readonly Dated[]): number | null {
  const firstStart = dated[0]?.start ?? 0;
  return leastSquaresSlope(dated.map((t) => ({ x: (t.start - firstStart) / 12, y: t.level })));
}

/** Months from the first dated start to the first dated start at `level` or above. */
function monthsToLevel(dated: readonly Dated[], level: number): number | null {
  const first = dated[0];
  const reached = dated.find((t) => t.level >= level);
  if (first === undefined || reached === undefined) return null;
  return reached.start - first.start;
}

function countSteps(levels: readonly number[]): { up: number; down: number } {
  let up = 0;
  let down = 0;
  for (let i = 1; i < levels.length; i++) {
    const step = (levels[i] ?? 0) - (levels[i - 1] ?? 0);
    if (step > 0) up += 1;
    if (step < 0) down += 1;
  }
  return { up, down };
}

function countChanges(values: readonly string[]): number {
  let changes = 0;
  for (let i = 1; i < values.length; i++) {
    if (values[i] !== values[i - 1]) changes += 1;
  }
  return changes;
}

function largestShare(values: readonly string[]): number | null {
  if (values.length === 0) return null;
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return Math.max(...counts.values()) / values.length;
}

export function computeCareerFeatures(positions: readonly CareerInput[], asOf: string): CareerFeatures {
  const now = parseAsOf(asOf);
  const timed = positions.map((p, i) => readTiming(p, i, now));
  const ordered = chronological(timed);
  const dated = ordered.filter(isDated);
  const spans = timed.filter(hasSpan);
  const current = pickCurrent(timed);
  const highest = firstMax(timed, (t) => [t.level]);
  const levels = ordered.map((t) => t.level);
  const steps = countSteps(levels);
  const departments = ordered.map((t) => t.input.department);
  const cover = coverage(spans);

  return {
    currentPositionIndex: current?.index ?? null,
    currentSeniority: current?.input.seniority ?? null,
    currentDepartment: current?.input.department ?? null,
    positionCount: positions.length,
    organizationCount: countOrganizations(positions),
    totalExperienceMonths: cover.covered,
    currentTenureMonths: current !== null && hasSpan(current) ? duration(current) : null,
    meanTenureMonths: mean(spans.map(duration)),
    gapMonths: cover.gap,
    overlapMonths: cover.overlap,
    longestGapMonths: cover.longestGap,
    levels,
    highestLevel: highest?.level ?? null,
    highestSeniority: highest?.input.seniority ?? null,
    senioritySlope: senioritySlope(dated),
    promotions: steps.up,
    stepDowns: steps.down,
    monthsToFirstLead: monthsToLevel(dated, LEAD_LEVEL),
    monthsToFirstDirector: monthsToLevel(dated, DIRECTOR_LEVEL),
    departmentChanges: countChanges(departments),
    departmentConsistency: largestShare(departments),
    distinctDepartments: new Set(departments).size,
    dateIssues: timed.filter((t) => t.dateIssue).length,
  };
}

/** A profile's career features from its scored positions (their labels as they stand, corrections included). */
export function careerOf(positions: readonly ScoredPosition[], asOf: string): CareerFeatures {
  return computeCareerFeatures(
    positions.map(({ position, prediction }) => ({
      startDate: position.startDate ?? null,
      endDate: position.endDate ?? null,
      status: position.status ?? null,
      organization: position.organization ?? null,
      seniority: prediction.seniority.label,
      department: prediction.department.label,
    })),
    asOf,
  );
}
