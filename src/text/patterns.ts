/**
 * Word patterns shared by the language markers and the keyword rules, and the accent folding they
 * match on. A pattern is one or more lowercase words separated by spaces; a word may start and/or
 * end with `*`, which stands for any run of letters or digits, so German compounds are reachable
 * ("*leiter" matches "vertriebsleiter", "vertrieb*" matches "vertriebsmitarbeiter"). A pattern only
 * matches whole words: "intern" never matches inside "international". A word that is only `*`
 * stands for any one word, between two literal words ("chief * officer").
 *
 * Matching works on words, not characters: patterns are indexed by their first word (exact words
 * in a hash map, prefixes and suffixes by length), so a title costs a few map lookups per word
 * however many patterns there are. One big regular expression over a thousand alternatives was
 * about ten times slower.
 */

const foldCache = new Map<string, string>();

function foldChar(ch: string): string {
  let folded = foldCache.get(ch);
  if (folded === undefined) {
    const decomposed = ch.normalize('NFD');
    // Keep the base letter only when the rest is combining marks, so the result is one code unit
    // and folded text keeps the offsets of the text it came from.
    folded =
      decomposed.length > 1 && /^\p{M}+$/u.test(decomposed.slice(1)) && decomposed[0]!.length === 1
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
  let i = 0;
  while (i < text.length && text.charCodeAt(i) <= 0x7f) i++;
  if (i === text.length) return text;
  let out = text.slice(0, i);
  for (; i < text.length; i++) {
    out += text.charCodeAt(i) <= 0x7f ? text[i]! : foldChar(text[i]!);
  }
  return out;
}

/** Why a pattern cannot be compiled, or null when it can. */
export function patternProblem(pattern: string): string | null {
  if (pattern.trim() === '') return 'is empty';
  const words = pattern.trim().split(/\s+/);
  if (words[0] === '*' || words[words.length - 1] === '*') {
    return 'starts or ends with the any-word "*"; it may only stand between two words';
  }
  for (const word of words) {
    if (word === '*') continue;
    const core = word.replace(/^\*/, '').replace(/\*$/, '');
    if (core === '') return `word "${word}" has no letters besides "*"`;
    if (core.includes('*')) return `word "${word}" has "*" inside it; "*" may only start or end a word`;
    if (/\p{Lu}/u.test(core)) return `word "${word}" is not lowercase`;
    if (!/^(?:[\p{L}\p{M}\p{N}]+|&|\/)$/u.test(core)) {
      return `word "${word}" must be letters and digits only, or "&" or "/" alone`;
    }
  }
  return null;
}

/** Letters a pattern requires literally; where patterns overlap, the most specific one wins. */
export function patternSpecificity(pattern: string): number {
  return pattern.replace(/[*\s]/g, '').length;
}

/** How one word of a pattern tests one word of a text. */
interface WordTest {
  kind: 'exact' | 'prefix' | 'suffix' | 'infix' | 'any';
  /** The literal part, accent-folded when the scanner folds. */
  core: string;
}

function parseWord(word: string, fold: boolean): WordTest {
  if (word === '*') return { kind: 'any', core: '' };
  const starts = word.startsWith('*');
  const ends = word.length > 1 && word.endsWith('*');
  const raw = word.slice(starts ? 1 : 0, ends ? -1 : undefined);
  const core = fold ? foldAccents(raw) : raw;
  const kind = starts && ends ? 'infix' : starts ? 'suffix' : ends ? 'prefix' : 'exact';
  return { kind, core };
}

function wordMatches(test: WordTest, word: string): boolean {
  switch (test.kind) {
    case 'exact':
      return word === test.core;
    case 'prefix':
      return word.startsWith(test.core);
    case 'suffix':
      return word.endsWith(test.core);
    case 'infix':
      return word.includes(test.core);
    case 'any':
      return true;
  }
}

/** One occurrence of a pattern in a text. */
export interface PatternHit<P> {
  payload: P;
  /** Offset of the match in the text (the same in folded and unfolded text). */
  index: number;
  /** The matched text, as it appears in the scanned text. */
  text: string;
}

/** The words of a text and where each starts; "&" and "/" are words of their own. */
export interface Words {
  text: string;
  words: string[];
  starts: number[];
}

// Words are runs of letters, marks and digits; "&" and "/" are words of their own.
const WORD = /[\p{L}\p{M}\p{N}]+|[&/]/gu;

/** Splits a text into words once, for several scanners to share. */
export function toWords(text: string): Words {
  const words: string[] = [];
  const starts: number[] = [];
  WORD.lastIndex = 0;
  for (let m = WORD.exec(text); m !== null; m = WORD.exec(text)) {
    words.push(m[0]);
    starts.push(m.index);
  }
  return { text, words, starts };
}

/** Finds every non-overlapping occurrence of a set of patterns in one pass. */
export interface PatternScanner<P> {
  scan(text: string | Words): PatternHit<P>[];
  /** Whether any pattern occurs in the text. */
  test(text: string | Words): boolean;
}

interface CompiledPattern<P> {
  words: WordTest[];
  specificity: number;
  /** Position in specificity order; lower wins among patterns matching at the same word. */
  rank: number;
  payload: P;
}

/** Group candidates by a key, keeping insertion order. */
function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/**
 * The better of `best` and the candidates (in rank order) matching at word `i`. A plain function
 * rather than a closure in the hot loop: scanning runs for every title the pipeline scores.
 */
function considerCandidates<P>(
  best: CompiledPattern<P> | null,
  candidates: readonly CompiledPattern<P>[] | undefined,
  words: readonly string[],
  i: number,
): CompiledPattern<P> | null {
  if (candidates === undefined) return best;
  for (const c of candidates) {
    if (best !== null && c.rank > best.rank) break; // lists are in rank order
    if (i + c.words.length > words.length) continue;
    let ok = true;
    for (let k = 1; k < c.words.length && ok; k++) ok = wordMatches(c.words[k]!, words[i + k]!);
    if (ok) best = c;
  }
  return best;
}

/**
 * Compiles patterns into a scanner. Where several patterns could match at the same word, the most
 * specific (most literal letters) wins and hides the others, so "managing director" is one hit,
 * not also "director"; scanning resumes after the winner's last word. With `fold`, patterns are
 * accent-folded and the caller scans folded text.
 */
export function compileScanner<P>(
  entries: readonly { pattern: string; payload: P }[],
  options: { fold: boolean },
): PatternScanner<P> {
  const sorted = [...entries].sort(
    (a, b) => patternSpecificity(b.pattern) - patternSpecificity(a.pattern) || a.pattern.localeCompare(b.pattern),
  );
  const exact = new Map<string, CompiledPattern<P>[]>();
  const prefix = new Map<string, CompiledPattern<P>[]>();
  const suffix = new Map<string, CompiledPattern<P>[]>();
  const infix: CompiledPattern<P>[] = [];
  sorted.forEach((entry, rank) => {
    const problem = patternProblem(entry.pattern);
    if (problem !== null) throw new Error(`pattern "${entry.pattern}" ${problem}`);
    const words = entry.pattern.trim().split(/\s+/).map((w) => parseWord(w, options.fold));
    const compiled = { words, specificity: patternSpecificity(entry.pattern), rank, payload: entry.payload };
    const first = words[0]!;
    if (first.kind === 'exact') push(exact, first.core, compiled);
    else if (first.kind === 'prefix') push(prefix, first.core, compiled);
    else if (first.kind === 'suffix') push(suffix, first.core, compiled);
    else infix.push(compiled);
  });
  const prefixLengths = [...new Set([...prefix.keys()].map((k) => k.length))];
  const suffixLengths = [...new Set([...suffix.keys()].map((k) => k.length))];

  /** The winning pattern starting at word `i`, and how many words it spans. */
  const bestAt = (words: readonly string[], i: number): CompiledPattern<P> | null => {
    const word = words[i]!;
    let best = considerCandidates(null, exact.get(word), words, i);
    for (const n of prefixLengths) if (n <= word.length) best = considerCandidates(best, prefix.get(word.slice(0, n)), words, i);
    for (const n of suffixLengths) {
      if (n <= word.length) best = considerCandidates(best, suffix.get(word.slice(word.length - n)), words, i);
    }
    if (infix.length > 0) best = considerCandidates(best, infix.filter((c) => wordMatches(c.words[0]!, word)), words, i);
    return best;
  };

  return {
    scan(input) {
      const { text, words, starts } = typeof input === 'string' ? toWords(input) : input;
      const hits: PatternHit<P>[] = [];
      for (let i = 0; i < words.length; ) {
        const best = bestAt(words, i);
        if (best === null) {
          i++;
          continue;
        }
        const last = i + best.words.length - 1;
        const start = starts[i]!;
        const end = starts[last]! + words[last]!.length;
        hits.push({ payload: best.payload, index: start, text: text.slice(start, end) });
        i = last + 1;
      }
      return hits;
    },
    test(input) {
      const { words } = typeof input === 'string' ? toWords(input) : input;
      for (let i = 0; i < words.length; i++) if (bestAt(words, i) !== null) return true;
      return false;
    },
  };
}
