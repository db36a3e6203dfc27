/**
 * The text stage as one call: a raw CV title becomes the `PreparedTitle` every classifier reads.
 */
import { LRUCache } from 'lru-cache';
import type { PreparedTitle } from '../domain/prediction.ts';
import { createLanguageDetector, type LanguageDetector } from './language.ts';
import { createNormalizer, type TitleNormalizer } from './normalize.ts';
import { createStandardizer, type TitleStandardizer } from './standardize.ts';
import type { TextConfig } from './text-config.ts';

export type TitlePreparer = (raw: string, organization?: string | null) => PreparedTitle;

/** Builds the text stage from its tables; the returned function is pure. */
export function createTitlePreparer(config: Omit<TextConfig, 'sources'>): TitlePreparer {
  const normalize: TitleNormalizer = createNormalizer(config);
  const standardize: TitleStandardizer = createStandardizer(config.titleStandards);
  const detect: LanguageDetector = createLanguageDetector(config.languageMarkers);
  return (raw, organization) => {
    const normalized = normalize(raw, organization);
    return {
      raw,
      normalized,
      standardized: standardize(normalized),
      // The normalized title, not the standardized one: standards expand acronyms into English words
      // ("cto" → "chief technology officer") that would outvote a German title's own markers.
      language: detect(normalized),
      organization: organization ?? null,
    };
  };
}

/**
 * `prepare` behind an LRU of `max` titles, keyed by the raw title and organization (all a prepared
 * title derives from): streams repeat titles, and the text stage is a seventh of a model's cost.
 * The prepared titles are shared between callers, so none may change one.
 */
export function cachedPreparer(prepare: TitlePreparer, max = 100_000): TitlePreparer {
  const cache = new LRUCache<string, PreparedTitle>({ max });
  return (raw, organization) => {
    const key = rawTitleKey(raw, organization ?? null);
    let title = cache.get(key);
    if (!title) cache.set(key, (title = prepare(raw, organization)));
    return title;
  };
}

/** A prepared title's identity: its raw text and organization (null apart from ''). */
export function rawTitleKey(raw: string, organization: string | null): string {
  return organization === null ? `${raw}\u0000` : `${raw}\u0000\u0001${organization}`;
}
