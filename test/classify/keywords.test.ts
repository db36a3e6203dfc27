import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { KeywordClassifier, createKeywordPredictor } from '../../src/classify/keywords.ts';
import { loadKeywordRules, parseKeywordRules, type KeywordRules } from '../../src/classify/keyword-rules.ts';
import type { Department, Seniority } from '../../src/domain/labels.ts';
import { DEFAULT_CONFIG_DIR } from '../../src/text/text-config.ts';
import { keywordConfig, keywordPredict, prepareTitle } from '../helpers/text.ts';

const predict = (raw: string, organization?: string) => keywordPredict(prepareTitle(raw, organization));

describe('keywordPredict: seniority', () => {
  it.each<[string, Seniority]>([
    ['Marketing Intern', 'Junior'],
    ['Praktikantin Personalabteilung', 'Junior'],
    ['Stagiaire en communication', 'Junior'],
    ['Junior Developer', 'Junior'],
    ['Werkstudent IT', 'Junior'],
    ['Alternant comptable', 'Junior'],
    ['Auszubildender Industriekaufmann', 'Junior'],
    ['Accountant', 'Professional'],
    ['Buchhalterin', 'Professional'],
    ['Comptable', 'Professional'],
    ['Key Account Manager', 'Professional'],
    ['Softwareentwickler', 'Professional'],
    ['Développeur web', 'Professional'],
    ['Senior Consultant', 'Senior'],
    ['Sr. Berater', 'Senior'],
    ['Ingénieur confirmé', 'Senior'],
    ['Team Lead Customer Service', 'Lead'],
    ['Teamleiterin Einkauf', 'Lead'],
    ["Chef d'équipe logistique", 'Lead'],
    ['Head of Sales', 'Lead'],
    ['Abteilungsleiter Vertrieb', 'Lead'],
    ['Responsable marketing', 'Lead'],
    ['Director of Finance', 'Director'],
    ['Vertriebsdirektor', 'Director'],
    ['Directrice des ressources humaines', 'Director'],
    ['CEO', 'Management'],
    ['Geschäftsführer', 'Management'],
    ['PDG', 'Management'],
    ['Founder & Managing Director', 'Management'],
    ['Inhaberin', 'Management'],
    ['Gérante', 'Management'],
    ['Vice President Sales', 'Management'],
    ['Vorstandsvorsitzender', 'Management'],
  ])('%j → %s', (title, label) => {
    expect(predict(title).seniority.label).toBe(label);
  });

  it('lets the higher rank decide when a title names two', () => {
    expect(predict('Senior Director').seniority.label).toBe('Director');
    expect(predict('Senior Vice President').seniority.label).toBe('Management');
    expect(predict('Junior Sales Manager').seniority.label).toBe('Junior');
  });

  it('prefers a specific phrase over the word inside it', () => {
    expect(predict('Managing Director').seniority.label).toBe('Management');
    expect(predict('Product Owner').seniority.label).toBe('Professional');
    expect(predict('Lead Generation Specialist').seniority.label).toBe('Professional');
  });

  it('switches a rule off where an "unless" phrase matches', () => {
    expect(predict('Assistant to the CEO').seniority.label).toBe('Junior');
    expect(predict('Assistenz der Geschäftsführung').seniority.label).toBe('Junior');
  });

  it('does not find rank words inside other words', () => {
    expect(predict('International Relations Officer').seniority.label).toBe('Professional');
    expect(predict('Internal Audit Specialist').seniority.label).toBe('Professional');
  });
});

describe('keywordPredict: department', () => {
  it.each<[string, Department]>([
    ['Software Engineer', 'Information Technology'],
    ['Systemadministrator', 'Information Technology'],
    ['Ingénieur informatique', 'Information Technology'],
    ['Key Account Manager', 'Sales'],
    ['Vertriebsmitarbeiter im Außendienst', 'Sales'],
    ['Commercial sédentaire', 'Sales'],
    ['Brand Manager', 'Marketing'],
    ['Referentin Öffentlichkeitsarbeit', 'Marketing'],
    ['Chargée de communication', 'Marketing'],
    ['HR Business Partner', 'Human Resources'],
    ['Personalreferentin', 'Human Resources'],
    ['Chargé de recrutement', 'Human Resources'],
    ['Management Consultant', 'Consulting'],
    ['Unternehmensberater', 'Consulting'],
    ['Consultante fonctionnelle', 'Consulting'],
    ['Project Manager', 'Project Management'],
    ['Projektleiter Digitalisierung', 'Project Management'],
    ['Chef de projet', 'Project Management'],
    ['Business Development Manager', 'Business Development'],
    ['Leiter Geschäftsentwicklung', 'Business Development'],
    ['Responsable développement commercial', 'Business Development'],
    ['Customer Service Representative', 'Customer Support'],
    ['Mitarbeiter Kundenservice', 'Customer Support'],
    ['Conseiller service client', 'Customer Support'],
    ['Executive Assistant', 'Administrative'],
    ['Sachbearbeiterin Verwaltung', 'Administrative'],
    ['Assistante de direction', 'Administrative'],
    ['Procurement Manager', 'Purchasing'],
    ['Strategischer Einkäufer', 'Purchasing'],
    ['Acheteur projet', 'Purchasing'],
    ['Financial Controller', 'Other'],
    ['Rechtsanwalt', 'Other'],
    ['Infirmière', 'Other'],
    ['Geschäftsführer', 'Other'],
    ['Production Manager', 'Other'],
    ['Directeur administratif et financier', 'Other'],
  ])('%j → %s', (title, label) => {
    expect(predict(title).department.label).toBe(label);
  });

  it('lets a department word outrank general management', () => {
    expect(predict('Vice President Sales').department.label).toBe('Sales');
    expect(predict('Geschäftsführer Vertrieb').department.label).toBe('Sales');
  });

  it('reads a combined sales and marketing title as marketing, and sales with business development as sales', () => {
    expect(predict('Sales & Marketing Director').department.label).toBe('Marketing');
    expect(predict('Leiter Vertrieb und Marketing').department.label).toBe('Marketing');
    expect(predict('Business Development & Sales Manager').department.label).toBe('Sales');
    expect(predict('IT Project Manager').department.label).toBe('Information Technology');
  });

  it('counts trade fairs as marketing and business intelligence as IT', () => {
    expect(predict('Messeorganisation').department.label).toBe('Marketing');
    expect(predict('Business Intelligence Analyst').department.label).toBe('Information Technology');
  });

  it('matches without regard to accents', () => {
    expect(predict('Developpeur').department.label).toBe('Information Technology');
    expect(predict('Geschaftsfuhrer').seniority.label).toBe('Management');
  });
});

describe('keywordPredict: confidence and explanation', () => {
  it('names the rule and the matched words', () => {
    const { seniority, department } = predict('Teamleiter Einkauf');
    expect(seniority.why).toBe('rule sen.lead.teamleiter matched "teamleiter"');
    expect(department.why).toBe('rule dep.purchasing.core matched "einkauf"');
  });

  it('quotes matched words as they appear in the standardized title, accents included', () => {
    expect(predict('Geschäftsführerin').seniority.why).toContain('matched "geschäftsführer"');
  });

  it('marks every prediction as coming from the keywords and keeps confidences in 0..1', () => {
    for (const title of ['CEO', 'Werkstudent', 'Accountant', 'Assistant to the CEO', '']) {
      for (const task of [predict(title).seniority, predict(title).department]) {
        expect(task.source).toBe('keywords');
        expect(task.confidence).toBeGreaterThanOrEqual(0);
        expect(task.confidence).toBeLessThanOrEqual(1);
      }
    }
  });

  it('is less confident in the default class than in a specific rule', () => {
    const plain = predict('Accountant').seniority;
    const intern = predict('Intern').seniority;
    expect(plain.why).toBe('no rule matched; default Professional');
    expect(plain.confidence).toBeLessThan(intern.confidence);
    expect(predict('Xylophonist').department.why).toBe('no rule matched; default Other');
  });

  it('is less confident when another class came close', () => {
    const clear = predict('Acheteur').department;
    const contested = predict('Acheteur projet').department;
    expect(contested.label).toBe(clear.label);
    expect(contested.confidence).toBeLessThan(clear.confidence);
    expect(contested.why).toContain('over rule dep.pm.core');
  });

  it('handles titles without words and injection strings', () => {
    expect(predict('').seniority.label).toBe('Professional');
    expect(predict("'; DROP TABLE positions; --").department.label).toBe('Other');
    expect(predict('<script>alert(1)</script>').seniority.label).toBe('Professional');
  });
});

const configFiles = ['keywords.json', 'title-standards.json', 'abbreviations.json', 'gender-forms.json', 'language-markers.json'];
const tempDirs: string[] = [];
function copyConfig(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kw-config-'));
  tempDirs.push(dir);
  for (const file of configFiles) cpSync(fileURLToPath(new URL(file, DEFAULT_CONFIG_DIR)), join(dir, file));
  return dir;
}
const editRules = (dir: string, edit: (rules: KeywordRules) => void) => {
  const path = join(dir, 'keywords.json');
  const rules = JSON.parse(readFileSync(path, 'utf8')) as KeywordRules;
  edit(rules);
  writeFileSync(path, JSON.stringify(rules));
};
afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('KeywordClassifier', () => {
  it('classifies a batch in input order, like keywordPredict', async () => {
    const titles = ['CEO', 'Werkstudent Marketing', 'Einkäufer'].map((t) => prepareTitle(t));
    const classifier = new KeywordClassifier(keywordConfig);
    expect(await classifier.classify(titles)).toEqual(titles.map(keywordPredict));
    expect(await classifier.classify([])).toEqual([]);
  });

  it('names its version after the content of its configuration', () => {
    const version = new KeywordClassifier(keywordConfig).modelVersion;
    expect(version).toMatch(/^keywords-[0-9a-f]{10}$/);
    expect(new KeywordClassifier(loadKeywordRules(copyConfig())).modelVersion).toBe(version);
  });

  it('gets a new version when a rule changes', () => {
    const dir = copyConfig();
    editRules(dir, (rules) => {
      rules.rules.seniority[0]!.weight = 0.5;
    });
    expect(new KeywordClassifier(loadKeywordRules(dir)).modelVersion).not.toBe(new KeywordClassifier(keywordConfig).modelVersion);
  });

  it('gets a new version when an abbreviation changes', () => {
    const dir = copyConfig();
    const path = join(dir, 'abbreviations.json');
    const table = JSON.parse(readFileSync(path, 'utf8')) as { abbreviations: Record<string, string> };
    table.abbreviations['xyz'] = 'senior';
    writeFileSync(path, JSON.stringify(table));
    expect(new KeywordClassifier(loadKeywordRules(dir)).modelVersion).not.toBe(new KeywordClassifier(keywordConfig).modelVersion);
  });

  it('lets the earlier of two equally strong rules decide', () => {
    const rules = loadKeywordRules().rules;
    const predictor = createKeywordPredictor({
      ...rules,
      rules: {
        ...rules.rules,
        department: [
          { id: 'dep.test.sales', class: 'Sales', weight: 0.8, patterns: ['alpha'] },
          { id: 'dep.test.marketing', class: 'Marketing', weight: 0.8, patterns: ['beta'] },
        ],
      },
    });
    expect(predictor(prepareTitle('Alpha Beta')).department.label).toBe('Sales');
    expect(predictor(prepareTitle('Beta Alpha')).department.label).toBe('Marketing');
    expect(predictor(prepareTitle('Beta Alpha')).department.confidence).toBeCloseTo(0.4);
  });

  it('predicts with the rules it was built from', () => {
    const rules = loadKeywordRules().rules;
    const predictor = createKeywordPredictor({
      ...rules,
      rules: {
        ...rules.rules,
        seniority: [{ id: 'sen.test.xylophonist', class: 'Director', weight: 0.9, patterns: ['xylophon*'] }],
      },
    });
    const prediction = predictor(prepareTitle('Xylophonist'));
    expect(prediction.seniority).toMatchObject({ label: 'Director', confidence: 0.9 });
    expect(prediction.seniority.why).toBe('rule sen.test.xylophonist matched "xylophonist"');
  });
});

describe('keyword rule validation', () => {
  const valid = () => JSON.parse(readFileSync(fileURLToPath(new URL('keywords.json', DEFAULT_CONFIG_DIR)), 'utf8')) as KeywordRules;

  it('accepts the shipped rule table', () => {
    expect(() => parseKeywordRules(valid())).not.toThrow();
  });

  it('names the rule whose class is unknown', () => {
    const rules = valid();
    rules.rules.seniority[1]!.class = 'Boss' as Seniority;
    const id = rules.rules.seniority[1]!.id;
    expect(() => parseKeywordRules(rules)).toThrow(`rule "${id}" (rules.seniority[1]) class`);
  });

  it('names the rule with a malformed pattern', () => {
    const rules = valid();
    rules.rules.department[2]!.patterns.push('Sales*Ops');
    const id = rules.rules.department[2]!.id;
    expect(() => parseKeywordRules(rules)).toThrow(new RegExp(`rule "${id}" \\(rules\\.department\\[2\\]\\) patterns\\.\\d+: pattern "Sales\\*Ops"`));
  });

  it('names the rule with a weight out of range and one without patterns', () => {
    const rules = valid();
    rules.rules.department[0]!.weight = 1.5;
    rules.rules.department[1]!.patterns = [];
    const message = (() => {
      try {
        parseKeywordRules(rules);
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(message).toContain(`rule "${rules.rules.department[0]!.id}" (rules.department[0]) weight`);
    expect(message).toContain(`rule "${rules.rules.department[1]!.id}" (rules.department[1]) patterns: has no patterns`);
  });

  it('names a rule that repeats another rule id', () => {
    const rules = valid();
    rules.rules.department[3]!.id = rules.rules.seniority[0]!.id;
    expect(() => parseKeywordRules(rules)).toThrow(`rule "${rules.rules.seniority[0]!.id}" (rules.department[3]) repeats the id of rules.seniority[0]`);
  });

  it('rejects a malformed rules file when loading, naming the file and the rule', () => {
    const dir = copyConfig();
    editRules(dir, (rules) => {
      rules.rules.seniority[0]!.id = 'Not An Id';
    });
    expect(() => loadKeywordRules(dir)).toThrow(/keyword rules in keywords\.json are invalid: rule "Not An Id" \(rules\.seniority\[0\]\) id/);
  });

  it('rejects a rules file that is not JSON', () => {
    const dir = copyConfig();
    writeFileSync(join(dir, 'keywords.json'), '{ "rules": ');
    expect(() => loadKeywordRules(dir)).toThrow(/keywords\.json is not valid JSON/);
  });
});
