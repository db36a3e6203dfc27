/**
 * The organization key: what groups "Daimler AG", "DAIMLER" and "Daimler" as one organization in
 * statistics, the page and the workbench's filter. Case, accents' compatibility forms, punctuation
 * and spacing are folded, and legal-form suffixes (GmbH, AG, SE, Ltd, Inc, S.A., SAS, …, also
 * stacked: "GmbH & Co. KG") are removed from the end. A name that is nothing but a legal form
 * keeps it rather than becoming empty.
 */

/** Legal forms as token sequences, after punctuation became spaces ("S.A." → s a). */
const LEGAL_FORMS: readonly (readonly string[])[] = [
  // German-speaking
  ['gmbh'], ['ag'], ['se'], ['kg'], ['kgaa'], ['ohg'], ['gbr'], ['ug'], ['e', 'v'], ['ev'], ['mbh'], ['haftungsbeschränkt'],
  ['co'], ['co', 'kg'], ['&', 'co'], ['&', 'co', 'kg'], ['und', 'co'], ['gmbh', '&', 'co', 'kg'],
  // English
  ['ltd'], ['limited'], ['inc'], ['incorporated'], ['corp'], ['corporation'], ['llc'], ['llp'], ['plc'], ['lp'], ['company'],
  // French, Spanish, Italian, Benelux, Nordic
  ['sa'], ['s', 'a'], ['sas'], ['s', 'a', 's'], ['sasu'], ['sarl'], ['s', 'a', 'r', 'l'], ['sàrl'], ['eurl'], ['sca'], ['snc'],
  ['sl'], ['s', 'l'], ['spa'], ['s', 'p', 'a'], ['srl'], ['s', 'r', 'l'],
  ['bv'], ['b', 'v'], ['nv'], ['n', 'v'], ['ab'], ['as'], ['a', 's'], ['asa'], ['oy'], ['oyj'], ['aps'],
];
const LONGEST = Math.max(...LEGAL_FORMS.map((f) => f.length));
const FORMS = new Set(LEGAL_FORMS.map((f) => f.join(' ')));

export function organizationKey(name: string | null | undefined): string | null {
  if (!name) return null;
  const tokens = name
    .normalize('NFKC')
    .toLowerCase()
    // Punctuation to spaces, except "&" (part of "& Co."); letters, marks and digits stay.
    .replace(/[^\p{L}\p{M}\p{N}&]+/gu, ' ')
    .split(' ')
    .filter(Boolean);
  if (tokens.length === 0) return null;
  // Strip legal forms from the end, longest first, while something else remains.
  for (let stripped = true; stripped && tokens.length > 1; ) {
    stripped = false;
    for (let n = Math.min(LONGEST, tokens.length - 1); n >= 1; n--) {
      if (FORMS.has(tokens.slice(-n).join(' '))) {
        tokens.splice(-n, n);
        stripped = true;
        break;
      }
    }
  }
  return tokens.join(' ');
}
