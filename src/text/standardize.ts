/**
 * Title standardization: role acronyms and spelling variants replaced, word-wise, by the standard
 * title from `config/title-standards.json` ("cto" → "chief technology officer", "kam" → "key
 * account manager", "pdg" → "président directeur général"), so the rules see one form per role.
 */
import { surfaceForm } from './normalize.ts';
import { compilePhraseMap } from './phrase-map.ts';
import type { TitleStandards } from './text-config.ts';

export type TitleStandardizer = (normalized: string) => string;

/** Builds a standardizer over normalized titles; the returned function is pure. */
export function createStandardizer(standards: TitleStandards): TitleStandardizer {
  return compilePhraseMap(standards.standards, surfaceForm);
}
