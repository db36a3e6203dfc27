/**
 * Language of a job title. Titles are a few words long, too short for character statistics alone,
 * so marker words from `config/language-markers.json` decide; franc-min's trigram detector only
 * breaks ties between languages on titles long enough for it to mean something.
 */
import { franc } from 'franc-min';
import type { Language } from '../domain/labels.ts';
import { compileScanner } from './patterns.ts';
import type { LanguageMarkers } from './text-config.ts';

type Known = Exclude<Language, 'unknown'>;
const KNOWN: readonly Known[] = ['en', 'de', 'fr'];
const FRANC_CODES: Record<string, Known> = { eng: 'en', deu: 'de', fra: 'fr' };

export type LanguageDetector = (title: string) => Language;

/** Scores of each language for a title: marker words plus the language's own letters. */
export type LanguageScores = Record<Known, number>;

export function createLanguageDetector(markers: LanguageMarkers): LanguageDetector & {
  scores(title: string): LanguageScores;
} {
  const entries = KNOWN.flatMap((lang) => {
    const { words, weakWords } = markers.languages[lang];
    return [
      ...words.map((pattern) => ({ pattern, payload: { lang, weight: markers.wordWeight } })),
      ...weakWords.map((pattern) => ({ pattern, payload: { lang, weight: markers.weakWordWeight } })),
    ];
  });
  // One scanner per language, so a word both languages list ("chef") scores for both.
  const scanners = KNOWN.map((lang) => ({
    lang,
    scanner: compileScanner(
      entries.filter((e) => e.payload.lang === lang),
      { fold: false },
    ),
    chars: new Set(markers.languages[lang].chars),
  }));

  const scores = (title: string): LanguageScores => {
    const text = title.normalize('NFC').toLowerCase();
    const result: LanguageScores = { en: 0, de: 0, fr: 0 };
    for (const { lang, scanner, chars } of scanners) {
      for (const hit of scanner.scan(text)) result[lang] += hit.payload.weight;
      for (const ch of text) {
        if (chars.has(ch)) {
          result[lang] += markers.charWeight;
          break;
        }
      }
    }
    return result;
  };

  const detect = (title: string): Language => {
    const s = scores(title);
    const best = Math.max(s.en, s.de, s.fr);
    const leaders = KNOWN.filter((lang) => s[lang] === best);
    if (best > 0 && leaders.length === 1) return leaders[0]!;
    const text = title.trim();
    if (text.length < markers.francMinChars) return 'unknown';
    // A tie among languages with markers is broken among those; no markers at all lets franc choose
    // among all three.
    const candidates = best > 0 ? leaders : KNOWN;
    const code = franc(text, {
      only: candidates.map((lang) => Object.keys(FRANC_CODES).find((c) => FRANC_CODES[c] === lang)!),
      minLength: 3,
    });
    return FRANC_CODES[code] ?? 'unknown';
  };

  return Object.assign(detect, { scores });
}
