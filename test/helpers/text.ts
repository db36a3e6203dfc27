/**
 * The text stage and keyword rules built once from this checkout's `config/`, as the command line
 * builds them (load-classifier.ts): what the tests of the pure functions feed them.
 */
import { loadKeywordRules } from '../../src/classify/keyword-rules.ts';
import { createKeywordPredictor, createKeywordScorer } from '../../src/classify/keywords.ts';
import { createLanguageDetector } from '../../src/text/language.ts';
import { createNormalizer } from '../../src/text/normalize.ts';
import { createTitlePreparer } from '../../src/text/prepare.ts';
import { createStandardizer } from '../../src/text/standardize.ts';

export const keywordConfig = loadKeywordRules();
export const prepareTitle = createTitlePreparer(keywordConfig.text);
export const normalizeTitle = createNormalizer(keywordConfig.text);
export const standardizeTitle = createStandardizer(keywordConfig.text.titleStandards);
export const detectLanguage = createLanguageDetector(keywordConfig.text.languageMarkers);
export const keywordScores = createKeywordScorer(keywordConfig.rules);
export const keywordPredict = createKeywordPredictor(keywordConfig.rules);
