/**
 * Month arithmetic for CV dates. A month is an integer index (year * 12 + month - 1), so that
 * comparing dates is comparing numbers and a duration is a subtraction.
 */

/** 'YYYY-MM', or a bare 'YYYY' (real CVs carry both). */
const YEAR_MONTH = /^(\d{4})(?:-(\d{2}))?$/;
const STRICT_YEAR_MONTH = /^\d{4}-\d{2}$/;

/** Which end of a span a date bounds; it decides how a bare year is read. */
export type MonthSide = 'start' | 'end';

/**
 * Reads a CV date as a month index. A bare year is read generously, as its January when it starts
 * a span and as its December when it ends one, so "2019–2019" is a whole year rather than nothing.
 * Returns null for an absent, empty or unreadable date.
 */
export function parseMonth(value: string | null | undefined, side: MonthSide): number | null {
  if (value == null) return null;
  const match = YEAR_MONTH.exec(value.trim());
  if (match === null) return null;
  const year = Number(match[1]);
  const bareYearMonth = side === 'start' ? 1 : 12;
  const month = match[2] === undefined ? bareYearMonth : Number(match[2]);
  if (month < 1 || month > 12) return null;
  return year * 12 + (month - 1);
}

/** Reads the caller's "now" month; it must be a full 'YYYY-MM', a bare year would be ambiguous. */
export function parseAsOf(asOf: string): number {
  const month = STRICT_YEAR_MONTH.test(asOf) ? parseMonth(asOf, 'start') : null;
  if (month === null) throw new RangeError(`asOf must be a YYYY-MM month, got '${asOf}'`);
  return month;
}

/** Months from `first` to `last` with both months included: January to December is 12. */
export function monthsInclusive(first: number, last: number): number {
  return last - first + 1;
}

/**
 * Position indexes in chronological order: the one order of the career features, the context
 * features and the stored `positions.chronological_rank`. By start month, undated last; ties and
 * undated positions in reverse input order, since CVs list the newest position first.
 */
export function chronologicalOrder(starts: readonly (number | null)[]): number[] {
  // Infinity - Infinity is NaN, which is falsy, so two undated positions fall through to the index.
  return starts.map((_, i) => i).sort((a, b) => (starts[a] ?? Infinity) - (starts[b] ?? Infinity) || b - a);
}
