import { describe, expect, it } from 'vitest';
import { createLanguageDetector } from '../../src/text/language.ts';
import { loadTextConfig } from '../../src/text/text-config.ts';
import { detectLanguage } from '../helpers/text.ts';

describe('detectLanguage', () => {
  it.each([
    ['geschäftsführer', 'de'],
    ['leiter vertrieb', 'de'],
    ['mitarbeiter buchhaltung', 'de'],
    ['senior projektmanager', 'de'],
    ['vertriebsleiter', 'de'],
    ['responsable des achats', 'fr'],
    ['chef de projet', 'fr'],
    ['directeur commercial', 'fr'],
    ['chargé de communication', 'fr'],
    ['head of engineering', 'en'],
    ['software developer', 'en'],
    ['customer service representative', 'en'],
    ['senior manager', 'en'],
  ] as const)('%j is %s', (title, language) => {
    expect(detectLanguage(title)).toBe(language);
  });

  it('lets native marker words outvote English loanwords', () => {
    // "senior" and "manager" are used in German and French titles too, so they count less.
    expect(detectLanguage('senior projektmanager vertrieb')).toBe('de');
    expect(detectLanguage('chef de projet senior')).toBe('fr');
  });

  it('reads raw titles as well as normalized ones', () => {
    expect(detectLanguage('GESCHÄFTSFÜHRER')).toBe('de');
    expect(detectLanguage('Responsable Marketing')).toBe('fr');
  });

  it('counts language-specific letters', () => {
    expect(detectLanguage('müller')).toBe('de');
    expect(detectLanguage('café')).toBe('fr');
  });

  it.each(['', 'xyz', '12345', 'sap', 'qualitatssicherung'])('is unknown for short titles without markers: %j', (title) => {
    expect(detectLanguage(title)).toBe('unknown');
  });

  it('asks the trigram detector only for long titles without a marker majority', () => {
    const detector = createLanguageDetector(loadTextConfig().languageMarkers);
    const title = 'qualitatssicherung werkstoffprufung kunststoffe';
    expect(detector.scores(title)).toEqual({ en: 0, de: 0, fr: 0 });
    expect(detector(title)).toBe('de');
  });

  it('follows the marker table it is given', () => {
    const markers = loadTextConfig().languageMarkers;
    const detector = createLanguageDetector({
      ...markers,
      languages: { ...markers.languages, fr: { ...markers.languages.fr, words: ['sap'] } },
    });
    expect(detector('sap')).toBe('fr');
  });
});
