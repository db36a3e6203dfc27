/**
 * The text stage as one call: a raw CV title becomes the `PreparedTitle` every classifier reads.
 */
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
