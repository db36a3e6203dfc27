/**
 * Title normalization: the one place where raw CV titles become comparable text. The result is
 * lowercase words separated by single spaces, with "&" and "/" kept as words of their own, gender
 * markers and feminine forms reduced to the base form, the employer removed and abbreviations
 * expanded. Everything language-specific lives in `config/abbreviations.json` and
 * `config/gender-forms.json`; this file holds only the mechanics.
 */
import { compilePhraseMap, type PhraseReplacer } from './phrase-map.ts';
import type { Abbreviations, GenderForms } from './text-config.ts';

// Zero-width characters, bidi controls, joiners, soft hyphen, variation selectors and tag
// characters: invisible, so a title that contains them must read as the same title without them.
const INVISIBLE =
  /[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]|[\u{e0000}-\u{e007f}]|[\u{e0100}-\u{e01ef}]/gu;
// Remaining control characters separate words.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Unicode compatibility form, invisible characters removed, lowercase. */
function cleanText(raw: string): string {
  // NFKC folds full-width letters, ligatures and superscripts into plain letters; titles carry no
  // distinction that compatibility forms would erase.
  return raw.normalize('NFKC').replace(INVISIBLE, '').replace(CONTROL, ' ').toLowerCase();
}

const NOT_LETTER = String.raw`(?![\p{L}\p{M}])`;
// Patterns that capture a run of letters start it at a word boundary, so matching stays linear in
// the title's length (titles are capped at the input boundary, but this function is public).
// "(m/w/d)", "(w/m/d)", "(m/f/d)", "(f/m)", "(h/f)", "[m|w|x]", "(d/f/m)" and relatives.
const GENDER_PARENS =
  /[([]\s*(?:[mwfdhxi]|div|divers|all)\s*(?:[/|,.]\s*(?:[mwfdhxi]|div|divers)\.?\s*){1,3}[)\]]|[([]\s*(?:all genders|alle geschlechter|gn|genderneutral)\s*[)\]]/gu;
// The same without brackets: "m/w/d", "h/f", "m/w".
const GENDER_BARE = /(?<![\p{L}\p{N}])[mwfdh]\s?[/|]\s?[mwfdhx](?:\s?[/|]\s?[mwfdhx])?(?![\p{L}\p{N}])/gu;
// "Leiter/in", "Leiter/-in", "Mitarbeiter*in", "Mitarbeiter:innen", "Mitarbeiter_in", "Lehrer(in)".
const GENDER_SUFFIX = new RegExp(String.raw`(?<=\p{L})(?:\/-?|\*|:|_)in(?:nen)?${NOT_LETTER}|(?<=\p{L})\(in(?:nen)?\)`, 'gu');
// "Leiter-in": a hyphen also joins compounds ("Check-in"), so the stem must look like a role noun.
const GENDER_HYPHEN = new RegExp(String.raw`(?<![\p{L}\p{M}])(\p{L}+)-in(?:nen)?${NOT_LETTER}`, 'gu');
// "MitarbeiterIn", "MitarbeiterInnen" (capital I, seen before lowercasing); "LinkedIn" is spared
// because "linked" does not end like a role noun.
const GENDER_CAPITAL_I = /(?<!\p{Ll})(\p{Ll}+)In(?:nen)?(?![\p{L}\p{M}])/gu;
// "Kaufmann/-frau", "Kauffrau/-mann".
const GENDER_MANN_FRAU = /(?<![\p{L}\p{M}])(\p{L}*)(?:mann\/-?frau|frau\/-?mann)(?![\p{L}\p{M}])/gu;
// French: "chargé(e)", "directeur/trice", "consultant·e", "vendeur.euse".
const FRENCH_PARENS = /(?<=\p{L})\((?:e|ne|se|trice|rice|ère|euse)\)/gu;
// Three letters before, nothing word-like after: "c.e.o." and "B2B/E-Commerce" are not feminine.
const FRENCH_SPLIT = /(?<=\p{L}{3})[/·.](?:trice|rice|euse|ère|e|ne)(?![\p{L}\p{M}\p{N}-])/gu;

// Legal forms that mark a trailing " - ACME GmbH" or ", Foo Ltd." segment as the employer.
const LEGAL_FORMS = String.raw`(?:gmbh|mbh|ag|kg|gbr|ug|e\.\s?v|ltd|limited|inc|llc|llp|plc|corp|co|sarl|sas|sa|s\.a|se|bv|b\.v|nv|n\.v|oy|ab|spa|s\.p\.a|srl|s\.r\.l)`;
const LEGAL_TAIL = new RegExp(
  String.raw`\s(?:[-–—|,]|bei|at|chez|@)\s[^-–—|,]*?(?<![\p{L}])${LEGAL_FORMS}\.?(?:\s*&\s*co\.?(?:\s*kg)?)?\s*$`,
  'u',
);
const LEGAL_WORD = new RegExp(String.raw`^${LEGAL_FORMS}$`, 'u');

// Single letters with dots are one acronym: "c.e.o." → "ceo".
const DOTTED_ACRONYM = /(?<![\p{L}\p{N}])(?:\p{L}\.){2,}(?![\p{L}\p{N}])/gu;
const SEPARATORS = /[&/@]/g;
const NOT_WORD = /[^\p{L}\p{M}\p{N}&/@]+/gu;

/** Words that introduce the employer: "Sales Manager bei ACME", "at", "chez", "@". */
const AFFILIATION = new Set(['bei', 'beim', 'at', 'chez', '@']);
/** Words that may introduce the employer when its name is known: "Directeur de ACME". */
const ORGANIZATION_LINK = new Set([...AFFILIATION, 'for', 'für', 'with', 'de', 'du', 'd', 'des', 'der', 'im', 'in']);

/** Punctuation to spaces, "&", "/" and "@" as words of their own, single spaces. */
function toWords(text: string): string {
  return text
    .replace(DOTTED_ACRONYM, (acronym) => acronym.replace(/\./g, ''))
    .replace(SEPARATORS, ' $& ')
    .replace(NOT_WORD, ' ')
    .trim()
    .replace(/ {2,}/g, ' ');
}

/** The surface form that table keys are written against: clean, lowercase, punctuation removed. */
export function surfaceForm(text: string): string {
  return toWords(cleanText(text)).replace(/(?<=^| )@(?= |$)/g, ' ').trim().replace(/ {2,}/g, ' ');
}

function indexOfWords(words: readonly string[], needle: readonly string[], from: number): number {
  outer: for (let i = from; i + needle.length <= words.length; i++) {
    for (let j = 0; j < needle.length; j++) if (words[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Removes the employer's name where it is introduced by a linking word or ends the title, never
 * where it is part of the role ("IT" as employer leaves "IT Manager" alone).
 */
function removeOrganization(words: string[], organization: string): string[] {
  const orgWords = surfaceForm(organization).split(' ').filter((w) => w !== '');
  const candidates = [orgWords];
  let core = orgWords.length;
  while (core > 1 && LEGAL_WORD.test(orgWords[core - 1]!)) core--;
  if (core < orgWords.length) candidates.push(orgWords.slice(0, core));
  for (const needle of candidates) {
    if (needle.length === 0) continue;
    const at = indexOfWords(words, needle, 0);
    if (at <= 0) continue;
    const linked = ORGANIZATION_LINK.has(words[at - 1]!);
    const atEnd = at + needle.length === words.length;
    if (!linked && !atEnd) continue;
    const start = linked && at - 1 > 0 ? at - 1 : at;
    return [...words.slice(0, start), ...words.slice(at + needle.length)];
  }
  return words;
}

/** "Head of Sales at ACME" → "Head of Sales": everything after an affiliation word that follows the role. */
function removeAffiliationTail(words: string[]): string[] {
  for (let i = 1; i < words.length; i++) {
    if (AFFILIATION.has(words[i]!)) return words.slice(0, i);
  }
  return words;
}

interface CompiledGenderForms {
  endsLikeRoleNoun(stem: string): boolean;
  masculinize(word: string): string;
}

function compileGenderForms(forms: GenderForms): CompiledGenderForms {
  const markerEndings = forms.stemSets[forms.markerStemSet] ?? [];
  const endsWithAny = (stem: string, endings: readonly string[]) => endings.some((e) => stem.endsWith(e));
  const keep = new Set(forms.keep.map((w) => w.normalize('NFC').toLowerCase()));
  const words = new Map(Object.entries(forms.words).map(([k, v]) => [k.normalize('NFC').toLowerCase(), v]));
  const rules = forms.suffixRules.map((r) => ({
    suffix: r.suffix.normalize('NFC').toLowerCase(),
    replace: r.replace.normalize('NFC').toLowerCase(),
    minStem: r.minStem,
    endings: r.stemSet ? (forms.stemSets[r.stemSet] ?? []) : null,
  }));
  return {
    endsLikeRoleNoun: (stem) => endsWithAny(stem.toLowerCase(), markerEndings),
    masculinize(word) {
      if (keep.has(word)) return word;
      const whole = words.get(word);
      if (whole !== undefined) return whole;
      for (const rule of rules) {
        if (!word.endsWith(rule.suffix)) continue;
        const stem = word.slice(0, word.length - rule.suffix.length);
        if (stem.length < rule.minStem) continue;
        if (rule.endings !== null && !endsWithAny(stem, rule.endings)) continue;
        return stem + rule.replace;
      }
      return word;
    },
  };
}

function removeGenderMarkers(lower: string, gender: CompiledGenderForms): string {
  return lower
    .replace(GENDER_PARENS, ' ')
    .replace(GENDER_MANN_FRAU, '$1mann')
    .replace(GENDER_SUFFIX, '')
    .replace(GENDER_HYPHEN, (all, stem: string) => (gender.endsLikeRoleNoun(stem) ? stem : all))
    .replace(FRENCH_PARENS, '')
    .replace(FRENCH_SPLIT, '')
    .replace(GENDER_BARE, ' ');
}

/** Symbols that punctuation removal would destroy ("c++", "c#", ".net"), rewritten before it. */
function compileSymbols(symbols: Record<string, string>): (text: string) => string {
  const entries = Object.entries(symbols).map(([k, v]) => [cleanText(k), v.toLowerCase()] as const);
  if (entries.length === 0) return (text) => text;
  const map = new Map(entries);
  const source = entries
    .map(([k]) => k)
    .sort((a, b) => b.length - a.length)
    .map((k) => {
      const escaped = k.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
      const lead = /^[\p{L}\p{N}]/u.test(k) ? String.raw`(?<![\p{L}\p{N}])` : '';
      const trail = /[\p{L}\p{N}]$/u.test(k) ? String.raw`(?![\p{L}\p{N}])` : '';
      return lead + escaped + trail;
    })
    .join('|');
  const pattern = new RegExp(source, 'gu');
  return (text) => text.replace(pattern, (found) => ` ${map.get(found) ?? found} `);
}

export type TitleNormalizer = (raw: string, organization?: string | null) => string;

export interface NormalizerTables {
  abbreviations: Abbreviations;
  genderForms: GenderForms;
}

/**
 * Builds a normalizer from the tables; the returned function is pure. `organization`, when given,
 * is removed from the title where it names the employer ("Sales Manager bei ACME GmbH" with "ACME GmbH").
 */
export function createNormalizer(tables: NormalizerTables): TitleNormalizer {
  const gender = compileGenderForms(tables.genderForms);
  const symbols = compileSymbols(tables.abbreviations.symbols);
  const expand: PhraseReplacer = compilePhraseMap(tables.abbreviations.abbreviations, surfaceForm);

  return (raw, organization) => {
    const capitalIFree = raw
      .normalize('NFKC')
      .replace(GENDER_CAPITAL_I, (all, stem: string) => (gender.endsLikeRoleNoun(stem) ? stem : all));
    let text = removeGenderMarkers(cleanText(capitalIFree), gender);
    const withoutLegalTail = text.replace(LEGAL_TAIL, '');
    if (withoutLegalTail.trim() !== '') text = withoutLegalTail;
    let words = toWords(symbols(text)).split(' ').filter((w) => w !== '');
    if (organization != null && organization.trim() !== '') words = removeOrganization(words, organization);
    words = removeAffiliationTail(words).filter((w) => w !== '@');
    const joined = words.map((w) => gender.masculinize(w)).join(' ');
    return expand(joined);
  };
}

/**
 * An organization name as a grouping key: NFKC, trimmed, spaces collapsed, lower case ('' for
 * none). The career features count employers with it and the title features find a position's
 * colleagues at the same organization with it.
 */
export function normalizeOrganization(name: string | null | undefined): string {
  return (name ?? '').normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}
