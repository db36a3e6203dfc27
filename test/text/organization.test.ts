import { describe, expect, it } from 'vitest';
import { organizationKey } from '../../src/text/organization.ts';

describe('organizationKey', () => {
  it.each([
    ['Daimler AG', 'daimler'],
    ['Daimler', 'daimler'],
    ['DAIMLER  ag', 'daimler'],
    ['Robert Bosch GmbH', 'robert bosch'],
    ['Müller GmbH & Co. KG', 'müller'],
    ['SAP SE', 'sap'],
    ['Acme Ltd.', 'acme'],
    ['Acme, Inc.', 'acme'],
    ['Société Générale S.A.', 'société générale'],
    ['Capgemini SAS', 'capgemini'],
    ['Atos S.A.S.', 'atos'],
    ['ING Bank N.V.', 'ing bank'],
    ['Deutsches Rotes Kreuz e.V.', 'deutsches rotes kreuz'],
    ['Johnson & Johnson', 'johnson & johnson'],
    ['AG', 'ag'],
    ['Ｄａｉｍｌｅｒ ＡＧ', 'daimler'],
  ])('%s → %s', (name, key) => {
    expect(organizationKey(name)).toBe(key);
  });

  it('is null for no name or punctuation only', () => {
    expect(organizationKey(null)).toBeNull();
    expect(organizationKey('')).toBeNull();
    expect(organizationKey(' .,- ')).toBeNull();
  });
});
