/**
 * Whole-word phrase replacement, used for abbreviations and title standards. Both tables are keyed
 * by phrases in normalized form (lowercase words separated by single spaces); one compiled regular
 * expression finds every key in a single pass, longest keys first so "dipl ing" wins over "dipl".
 */

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/** Replaces whole-word occurrences of the table's keys; input must be single-space separated. */
export type PhraseReplacer = (text: string) => string;

/**
 * Compiles a table. `normalizeKey` brings keys and values into the form of the text they will be applied to,
 * so a table may say "sr." or "Dipl.-Ing."; keys that normalize to nothing are ignored and, when two
 * keys collapse into one, the later one wins.
 */
export function compilePhraseMap(table: Record<string, string>, normalizeKey: (key: string) => string): PhraseReplacer {
  const map = new Map<string, string>();
  for (const [key, value] of Object.entries(table)) {
    const normalized = normalizeKey(key);
    if (normalized !== '') map.set(normalized, normalizeKey(value));
  }
  if (map.size === 0) return (text) => text;
  const keys = [...map.keys()].sort((a, b) => b.length - a.length || a.localeCompare(b));
  const pattern = new RegExp(`(?<=^| )(?:${keys.map(escapeRegExp).join('|')})(?= |$)`, 'gu');
  return (text) => text.replace(pattern, (found) => map.get(found) ?? found);
}
