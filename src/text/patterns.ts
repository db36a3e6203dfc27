/**
 * Word patterns shared by the language markers and the keyword rules, and the accent folding they
 * match on. A pattern is one or more lowercase words separated by spaces; a word may start and/or
 * end with `*`, which stands for any run of letters or digits, so German compounds are reachable
 * ("*leiter" matches "vertriebsleiter", "vertrieb*" matches "vertriebsmitarbeiter"). A pattern only
 * matches whole words: "intern" never matches inside "international". A word that is only `*`
 * stands for any one word, between two literal words ("chief * officer").
 */

const WORD_CHAR = String.raw`[\p{L}\p{M}\p{N}]`;
/** Start and end of a pattern: not preceded / followed by a letter, mark or digit. */
export const WORD_START = String.raw`(?<!${WORD_CHAR})`;
export const WORD_END = String.raw`(?!${WORD_CHAR})`;

const foldCache = new Map<string, string>();

function foldChar(ch: string): string {
  let folded = foldCache.get(ch);
  if (folded === undefined) {
    const decomposed = ch.normalize('NFD');
    // Keep the base letter only when the rest is combining marks, so the result is one code unit
    // and folded text keeps the offsets of the text it came from.
    folded = decomposed.length > 1 && /^\p{M}+$/u.test(decomposed.slice(1)) && decomposed[0]!.length === 1
      ? decomposed[0]!
      : ch;
    foldCache.set(ch, folded);
  }
  return folded;
}

/**
 * Removes accents letter by letter ("geschäftsführer" → "geschaftsfuhrer", "équipe" → "equipe")
 * without changing the length, so an offset in the folded text is an offset in the original.
 * ß is kept as it is: expanding it to "ss" would shift offsets.
 */
export function foldAccents(text: string): string {
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    out += code <= 0x7f ? text[i]! : foldChar(text[i]!);
  }
  return out;
}

/** Why a pattern cannot be compiled, or null when it can. */
export function patternProblem(pattern: string): string | null {
  const words = pattern.trim().split(/\s+/);
  if (pattern.trim() === '') return 'is empty';
  if (words[0] === '*' || words[words.length - 1] === '*') {
    return 'starts or ends with the any-word "*"; it may only stand between two words';
  }
  for (const word of words) {
    if (word === '*') continue;
    const core = word.replace(/^\*/, '').replace(/\*$/, '');
    if (core === '') return `word "${word}" has no letters besides "*"`;
    if (core.includes('*')) return `word "${word}" has "*" inside it; "*" may only start or end a word`;
    if (/[\p{Lu}]/u.test(core)) return `word "${word}" is not lowercase`;
    if (!/^[\p{L}\p{M}\p{N}&/]+$/u.test(core)) {
      return `word "${word}" has characters other than letters, digits, "&" and "/"`;
    }
  }
  return null;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/**
 * The regular-expression source of a pattern (without the word-boundary guards, which the caller
 * adds once around a whole alternation). Throws when the pattern is malformed; callers validate
 * with `patternProblem` first to name the rule or table it came from.
 */
export function patternSource(pattern: string, options: { fold: boolean }): string {
  const problem = patternProblem(pattern);
  if (problem !== null) throw new Error(`pattern "${pattern}" ${problem}`);
  return pattern
    .trim()
    .split(/\s+/)
    .map((word) => {
      if (word === '*') return `${WORD_CHAR}+`;
      const prefix = word.startsWith('*') ? `${WORD_CHAR}*` : '';
      const suffix = word.length > 1 && word.endsWith('*') ? `${WORD_CHAR}*` : '';
      const core = word.replace(/^\*/, '').replace(/\*$/, '');
      return prefix + escapeRegExp(options.fold ? foldAccents(core) : core) + suffix;
    })
    .join(' ');
}

/** Letters a pattern requires literally; longer literals are tried first in an alternation. */
export function patternSpecificity(pattern: string): number {
  return pattern.replace(/[*\s]/g, '').length;
}

/** One occurrence of a pattern in a text. */
export interface PatternHit<P> {
  payload: P;
  /** Offset of the match in the text (the same in folded and unfolded text). */
  index: number;
  /** The matched text, as it appears in the scanned text. */
  text: string;
}

/** Finds every non-overlapping occurrence of a set of patterns in one pass. */
export interface PatternScanner<P> {
  scan(text: string): PatternHit<P>[];
}

/**
 * Compiles patterns into one alternation. Where several patterns could match at the same place,
 * the most specific (most literal letters) wins and hides the others, so "managing director" is one
 * hit, not also "director". With `fold`, patterns are accent-folded and the caller scans folded text.
 */
export function compileScanner<P>(
  entries: readonly { pattern: string; payload: P }[],
  options: { fold: boolean },
): PatternScanner<P> {
  const sorted = [...entries].sort(
    (a, b) => patternSpecificity(b.pattern) - patternSpecificity(a.pattern) || a.pattern.localeCompare(b.pattern),
  );
  if (sorted.length === 0) return { scan: () => [] };
  const payloads = sorted.map((e) => e.payload);
  const alternation = sorted.map((e) => `(${patternSource(e.pattern, options)})`).join('|');
  const regex = new RegExp(`${WORD_START}(?:${alternation})${WORD_END}`, 'gu');
  return {
    scan(text) {
      const hits: PatternHit<P>[] = [];
      regex.lastIndex = 0;
      for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
        let group = 1;
        while (m[group] === undefined) group++;
        hits.push({ payload: payloads[group - 1]!, index: m.index, text: m[0] });
      }
      return hits;
    },
  };
}
