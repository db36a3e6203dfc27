import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CareerInput } from '../../src/domain/career.ts';
import { CAREER_FEATURE_DOCS, computeCareerFeatures } from '../../src/features/career.ts';

// Every expected value below was worked out by hand; spans count both their first and last month.
const AS_OF = '2024-06';

/** A position with neutral defaults, so each test states only what it is about. */
function pos(overrides: Partial<CareerInput>): CareerInput {
  return { seniority: 'Professional', department: 'Information Technology', status: 'INACTIVE', ...overrides };
}

/** Four rungs, listed newest first as CVs do; each ends the month before the next starts. */
const LADDER: CareerInput[] = [
  pos({ seniority: 'Director', startDate: '2020-01', status: 'ACTIVE', organization: 'Acme' }),
  pos({ seniority: 'Lead', startDate: '2018-01', endDate: '2019-12', organization: 'Acme' }),
  pos({ seniority: 'Senior', startDate: '2016-01', endDate: '2017-12', organization: 'Beta GmbH' }),
  pos({ seniority: 'Junior', startDate: '2014-01', endDate: '2015-12', organization: 'Gamma' }),
];

describe('computeCareerFeatures: a classic promotion ladder', () => {
  it('computes every feature of the ladder', () => {
    const f = computeCareerFeatures(LADDER, AS_OF);
    // slope: x = 0,2,4,6 years, y = 1,3,4,5 → Sxy = 13, Sxx = 20 → 0.65 levels per year.
    const { senioritySlope, ...rest } = f;
    expect(senioritySlope).toBeCloseTo(0.65, 12);
    expect(rest).toEqual({
      currentPositionIndex: 0,
      currentSeniority: 'Director',
      currentDepartment: 'Information Technology',
      positionCount: 4,
      organizationCount: 3,
      totalExperienceMonths: 126, // 2014-01 … 2024-06
      currentTenureMonths: 54, // 2020-01 … 2024-06
      meanTenureMonths: 31.5, // (24 + 24 + 24 + 54) / 4
      gapMonths: 0,
      overlapMonths: 0,
      longestGapMonths: 0,
      levels: [1, 3, 4, 5],
      highestLevel: 5,
      highestSeniority: 'Director',
      promotions: 3,
      stepDowns: 0,
      monthsToFirstLead: 48, // 2014-01 → 2018-01
      monthsToFirstDirector: 72, // 2014-01 → 2020-01
      departmentChanges: 0,
      departmentConsistency: 1,
      distinctDepartments: 1,
      dateIssues: 0,
    });
  });

  it('does not depend on input order, only the current index follows the position', () => {
    const forward = computeCareerFeatures(LADDER, AS_OF);
    const reversed = computeCareerFeatures([...LADDER].reverse(), AS_OF);
    expect(reversed).toEqual({ ...forward, currentPositionIndex: 3 });
  });

  it('gives a negative slope and counts step-downs for a career going down the ladder', () => {
    const f = computeCareerFeatures(
      [
        pos({ seniority: 'Director', startDate: '2010-01', endDate: '2013-12' }),
        pos({ seniority: 'Senior', startDate: '2014-01', endDate: '2017-12' }),
      ],
      AS_OF,
    );
    expect(f.senioritySlope).toBeCloseTo(-0.5, 12); // (3 - 5) / 4 years
    expect(f.promotions).toBe(0);
    expect(f.stepDowns).toBe(1);
    expect(f.monthsToFirstLead).toBe(0); // the first position already is Lead or above
    expect(f.monthsToFirstDirector).toBe(0);
  });

  it('counts neither a promotion nor a step-down between equal levels', () => {
    const f = computeCareerFeatures(
      [
        pos({ seniority: 'Junior', startDate: '2010-01', endDate: '2010-12' }),
        pos({ seniority: 'Professional', startDate: '2011-01', endDate: '2011-12' }),
        pos({ seniority: 'Professional', startDate: '2012-01', endDate: '2012-12' }),
        pos({ seniority: 'Lead', startDate: '2013-01', endDate: '2013-12' }),
        pos({ seniority: 'Senior', startDate: '2014-01', endDate: '2014-12' }),
      ],
      AS_OF,
    );
    expect(f.levels).toEqual([1, 2, 2, 4, 3]);
    expect(f.promotions).toBe(2);
    expect(f.stepDowns).toBe(1);
  });

  it('reaches Director through Management and never reaches Lead on a flat career', () => {
    const management = computeCareerFeatures(
      [
        pos({ seniority: 'Senior', startDate: '2015-01', endDate: '2016-12' }),
        pos({ seniority: 'Management', startDate: '2017-04', endDate: '2020-12' }),
      ],
      AS_OF,
    );
    expect(management.monthsToFirstLead).toBe(27); // 2015-01 → 2017-04
    expect(management.monthsToFirstDirector).toBe(27);

    const flat = computeCareerFeatures(
      [pos({ seniority: 'Senior', startDate: '2015-01' }), pos({ seniority: 'Senior', startDate: '2019-01' })],
      AS_OF,
    );
    expect(flat.monthsToFirstLead).toBeNull();
    expect(flat.monthsToFirstDirector).toBeNull();
    expect(flat.senioritySlope).toBe(0);
  });

  it('has no slope when all dated positions start in the same month', () => {
    const f = computeCareerFeatures(
      [pos({ seniority: 'Junior', startDate: '2018-03' }), pos({ seniority: 'Lead', startDate: '2018-03' })],
      AS_OF,
    );
    expect(f.senioritySlope).toBeNull();
  });
});

describe('computeCareerFeatures: the current position', () => {
  it('picks the most recently started ACTIVE position, the first in input order on a tie', () => {
    const f = computeCareerFeatures(
      [
        pos({ seniority: 'Lead', startDate: '2015-03', status: 'ACTIVE' }),
        pos({ seniority: 'Senior', department: 'Sales', startDate: '2021-07', status: 'ACTIVE' }),
        pos({ seniority: 'Professional', department: 'Marketing', startDate: '2021-07', status: 'ACTIVE' }),
        // Started later but INACTIVE: an ACTIVE position always wins.
        pos({ seniority: 'Junior', startDate: '2023-01', endDate: '2023-06' }),
      ],
      AS_OF,
    );
    expect(f.currentPositionIndex).toBe(1);
    expect(f.currentSeniority).toBe('Senior');
    expect(f.currentDepartment).toBe('Sales');
    expect(f.currentTenureMonths).toBe(36); // 2021-07 … 2024-06
  });

  it('picks the position that ended last when none is ACTIVE', () => {
    const f = computeCareerFeatures(
      [
        pos({ seniority: 'Senior', startDate: '2016-01', endDate: '2019-12' }),
        pos({ seniority: 'Lead', department: 'Consulting', startDate: '2019-01', endDate: '2022-03' }),
        pos({ seniority: 'Junior', startDate: '2012-01', endDate: '2015-12' }),
      ],
      AS_OF,
    );
    expect(f.currentPositionIndex).toBe(1);
    expect(f.currentSeniority).toBe('Lead');
    expect(f.currentDepartment).toBe('Consulting');
    expect(f.currentTenureMonths).toBe(39); // 2019-01 … 2022-03
  });

  it('treats a missing end date with UNKNOWN or no status as ongoing, hence the latest end', () => {
    for (const status of ['UNKNOWN', null, undefined] as const) {
      const f = computeCareerFeatures(
        [
          pos({ seniority: 'Senior', startDate: '2016-01', endDate: '2023-12' }),
          pos({ seniority: 'Junior', startDate: '2010-01', status }),
        ],
        AS_OF,
      );
      expect(f.currentPositionIndex).toBe(1);
      expect(f.currentTenureMonths).toBe(174); // 2010-01 … 2024-06
      expect(f.totalExperienceMonths).toBe(174);
      expect(f.overlapMonths).toBe(96); // 2016-01 … 2023-12
    }
  });

  it('ranks an ongoing position above one that ended in the asOf month itself', () => {
    const f = computeCareerFeatures(
      [
        pos({ seniority: 'Senior', startDate: '2020-01', endDate: '2024-06' }),
        pos({ seniority: 'Junior', startDate: '2010-01', status: 'UNKNOWN' }),
      ],
      AS_OF,
    );
    expect(f.currentPositionIndex).toBe(1);
    expect(f.dateIssues).toBe(0);
  });

  it('leaves an INACTIVE position without end date out of durations but keeps it in the order', () => {
    const f = computeCareerFeatures(
      [
        pos({ seniority: 'Junior', startDate: '2015-01', endDate: '2016-12' }),
        pos({ seniority: 'Senior', startDate: '2019-01' }), // INACTIVE, ended at some unknown month
      ],
      AS_OF,
    );
    // Its end is unknown but no earlier than its start (2019-01), which is after 2016-12.
    expect(f.currentPositionIndex).toBe(1);
    expect(f.currentTenureMonths).toBeNull();
    expect(f.totalExperienceMonths).toBe(24);
    expect(f.meanTenureMonths).toBe(24);
    expect(f.gapMonths).toBe(0);
    expect(f.levels).toEqual([1, 3]);
    expect(f.promotions).toBe(1);
    expect(f.senioritySlope).toBeCloseTo(0.5, 12); // (3 - 1) / 4 years
  });
});

describe('computeCareerFeatures: coverage of time', () => {
  it('counts overlapping months once in the total and once in overlapMonths', () => {
    const f = computeCareerFeatures(
      [
        pos({ startDate: '2020-01', endDate: '2021-12' }), // 24 months
        pos({ startDate: '2021-07', endDate: '2022-06' }), // 12 months
        pos({ startDate: '2021-10', endDate: '2021-12' }), // 3 months, inside both others
      ],
      AS_OF,
    );
    expect(f.totalExperienceMonths).toBe(30); // 2020-01 … 2022-06
    expect(f.overlapMonths).toBe(6); // 2021-07 … 2021-12; the triple-covered months count once
    expect(f.meanTenureMonths).toBe(13); // (24 + 12 + 3) / 3
    expect(f.gapMonths).toBe(0);
    expect(f.longestGapMonths).toBe(0);
  });

  it('counts a handover within one month as one month of overlap', () => {
    const f = computeCareerFeatures(
      [pos({ startDate: '2020-01', endDate: '2020-03' }), pos({ startDate: '2020-03', endDate: '2020-12' })],
      AS_OF,
    );
    expect(f.totalExperienceMonths).toBe(12);
    expect(f.overlapMonths).toBe(1);
  });

  it('sums the uncovered months between the first start and the last end', () => {
    const f = computeCareerFeatures(
      [
        pos({ startDate: '2013-01', endDate: '2013-12' }),
        pos({ startDate: '2010-01', endDate: '2010-12' }),
        pos({ startDate: '2011-04', endDate: '2011-09' }),
      ],
      AS_OF,
    );
    expect(f.totalExperienceMonths).toBe(30); // 12 + 6 + 12
    expect(f.gapMonths).toBe(18); // 2011-01 … 2011-03 (3) and 2011-10 … 2012-12 (15)
    expect(f.longestGapMonths).toBe(15);
    expect(f.overlapMonths).toBe(0);
  });
});

describe('computeCareerFeatures: incomplete and faulty dates', () => {
  it('keeps positions without start date in counts and levels, last in the order, but out of durations', () => {
    const f = computeCareerFeatures(
      [
        pos({ seniority: 'Lead', status: 'ACTIVE' }),
        pos({ seniority: 'Senior', startDate: '2018-01', endDate: '2019-12' }),
        pos({ seniority: 'Junior', endDate: '2015-06' }),
        pos({ seniority: 'Professional', startDate: '2016-01', endDate: '2017-12' }),
      ],
      AS_OF,
    );
    expect(f.positionCount).toBe(4);
    expect(f.levels).toEqual([2, 3, 1, 4]); // dated by start, then undated in reverse input order (CVs list the newest first)
    expect(f.promotions).toBe(2);
    expect(f.stepDowns).toBe(1);
    expect(f.currentPositionIndex).toBe(0);
    expect(f.currentTenureMonths).toBeNull();
    expect(f.totalExperienceMonths).toBe(48); // 2016-01 … 2019-12
    expect(f.meanTenureMonths).toBe(24);
    expect(f.highestLevel).toBe(4);
    expect(f.monthsToFirstLead).toBeNull(); // the only Lead is undated
    expect(f.senioritySlope).toBeCloseTo(0.5, 12); // (3 - 2) / 2 years
    expect(f.dateIssues).toBe(0);
  });

  it('has no durations at all when no position has a start date', () => {
    const f = computeCareerFeatures([pos({ status: 'ACTIVE' }), pos({ endDate: '2019-05' })], AS_OF);
    expect(f.totalExperienceMonths).toBe(0);
    expect(f.meanTenureMonths).toBeNull();
    expect(f.gapMonths).toBe(0);
    expect(f.senioritySlope).toBeNull();
    expect(f.currentPositionIndex).toBe(0);
  });

  it('reads a bare start year as January and a bare end year as December', () => {
    const f = computeCareerFeatures(
      [
        pos({ seniority: 'Senior', startDate: '2019', status: 'ACTIVE' }), // 2019-01 … 2024-06: 66
        pos({ startDate: '2015', endDate: '2018' }), // 2015-01 … 2018-12: 48
        pos({ seniority: 'Junior', startDate: '2012', endDate: '2012' }), // one whole year: 12
      ],
      AS_OF,
    );
    expect(f.currentTenureMonths).toBe(66);
    expect(f.totalExperienceMonths).toBe(126);
    expect(f.meanTenureMonths).toBe(42);
    expect(f.gapMonths).toBe(24); // 2013 and 2014
    expect(f.monthsToFirstLead).toBeNull();
    expect(f.levels).toEqual([1, 2, 3]);
    expect(f.dateIssues).toBe(0);
  });

  it('clamps an end before its start to a one-month span and counts it as a date issue', () => {
    const f = computeCareerFeatures(
      [
        pos({ seniority: 'Senior', startDate: '2020-06', endDate: '2019-01' }),
        pos({ startDate: '2017-01', endDate: '2017-12' }),
      ],
      AS_OF,
    );
    expect(f.dateIssues).toBe(1);
    expect(f.totalExperienceMonths).toBe(13); // 12 + 1
    expect(f.meanTenureMonths).toBe(6.5);
    expect(f.gapMonths).toBe(29); // 2018-01 … 2020-05
    expect(f.currentPositionIndex).toBe(0); // its clamped end, 2020-06, is the latest
    expect(f.currentTenureMonths).toBe(1);
  });

  it('clamps dates after asOf to asOf and counts them, but not a bare end year that includes asOf', () => {
    const f = computeCareerFeatures(
      [
        pos({ seniority: 'Lead', startDate: '2025-01', status: 'ACTIVE' }), // starts "now": 1 month
        pos({ seniority: 'Senior', startDate: '2022-02', endDate: '2026-12' }), // 2022-02 … 2024-06: 29
        pos({ startDate: '2020-01', endDate: '2024' }), // 2020-01 … 2024-06: 54, not an issue
      ],
      AS_OF,
    );
    expect(f.dateIssues).toBe(2);
    expect(f.currentPositionIndex).toBe(0);
    expect(f.currentTenureMonths).toBe(1);
    expect(f.totalExperienceMonths).toBe(54);
    expect(f.overlapMonths).toBe(29); // 2022-02 … 2024-06
    expect(f.meanTenureMonths).toBe(28); // (1 + 29 + 54) / 3
    expect(f.gapMonths).toBe(0);
    expect(f.monthsToFirstLead).toBe(53); // 2020-01 → 2024-06
  });

  it('treats an unreadable date as missing and counts it as a date issue', () => {
    const f = computeCareerFeatures([pos({ startDate: '2019-13', endDate: '2020-02' })], AS_OF);
    expect(f.dateIssues).toBe(1);
    expect(f.totalExperienceMonths).toBe(0);
    expect(f.levels).toEqual([2]);
  });

  it('rejects an asOf that is not a YYYY-MM month', () => {
    expect(() => computeCareerFeatures(LADDER, '2024')).toThrow(RangeError);
    expect(() => computeCareerFeatures(LADDER, '2024-13')).toThrow(RangeError);
    expect(() => computeCareerFeatures(LADDER, 'June 2024')).toThrow(RangeError);
  });
});

describe('computeCareerFeatures: organizations and departments', () => {
  it('counts organizations case- and whitespace-insensitively and ignores empty names', () => {
    const f = computeCareerFeatures(
      [
        pos({ organization: 'Acme GmbH' }),
        pos({ organization: '  acme   GMBH ' }),
        pos({ organization: '' }),
        pos({ organization: '   ' }),
        pos({ organization: null }),
        pos({}),
        pos({ organization: 'Beta' }),
      ],
      AS_OF,
    );
    expect(f.positionCount).toBe(7);
    expect(f.organizationCount).toBe(2);
  });

  it('counts department changes in chronological order and the share of the most frequent one', () => {
    const f = computeCareerFeatures(
      [
        pos({ department: 'Marketing', startDate: '2014-01', endDate: '2014-12' }),
        pos({ department: 'Information Technology', startDate: '2010-01', endDate: '2010-12' }),
        pos({ department: 'Information Technology', startDate: '2013-01', endDate: '2013-12' }),
        pos({ department: 'Sales', startDate: '2012-01', endDate: '2012-12' }),
        pos({ department: 'Information Technology', startDate: '2011-01', endDate: '2011-12' }),
      ],
      AS_OF,
    );
    // Chronologically: IT, IT, Sales, IT, Marketing.
    expect(f.departmentChanges).toBe(3);
    expect(f.departmentConsistency).toBe(0.6);
    expect(f.distinctDepartments).toBe(3);
  });
});

describe('computeCareerFeatures: edge profiles', () => {
  it('describes a single ongoing position completely', () => {
    const f = computeCareerFeatures(
      [pos({ seniority: 'Senior', department: 'Sales', startDate: '2021-03', status: 'ACTIVE', organization: 'X' })],
      AS_OF,
    );
    expect(f).toEqual({
      currentPositionIndex: 0,
      currentSeniority: 'Senior',
      currentDepartment: 'Sales',
      positionCount: 1,
      organizationCount: 1,
      totalExperienceMonths: 40, // 2021-03 … 2024-06
      currentTenureMonths: 40,
      meanTenureMonths: 40,
      gapMonths: 0,
      overlapMonths: 0,
      longestGapMonths: 0,
      levels: [3],
      highestLevel: 3,
      highestSeniority: 'Senior',
      senioritySlope: null,
      promotions: 0,
      stepDowns: 0,
      monthsToFirstLead: null,
      monthsToFirstDirector: null,
      departmentChanges: 0,
      departmentConsistency: 1,
      distinctDepartments: 1,
      dateIssues: 0,
    });
  });

  it('returns empty features for a profile without positions', () => {
    expect(computeCareerFeatures([], AS_OF)).toEqual({
      currentPositionIndex: null,
      currentSeniority: null,
      currentDepartment: null,
      positionCount: 0,
      organizationCount: 0,
      totalExperienceMonths: 0,
      currentTenureMonths: null,
      meanTenureMonths: null,
      gapMonths: 0,
      overlapMonths: 0,
      longestGapMonths: 0,
      levels: [],
      highestLevel: null,
      highestSeniority: null,
      senioritySlope: null,
      promotions: 0,
      stepDowns: 0,
      monthsToFirstLead: null,
      monthsToFirstDirector: null,
      departmentChanges: 0,
      departmentConsistency: null,
      distinctDepartments: 0,
      dateIssues: 0,
    });
  });

  it('is pure: it leaves its input untouched and gives the same answer twice', () => {
    const input = structuredClone(LADDER);
    const first = computeCareerFeatures(input, AS_OF);
    expect(input).toEqual(LADDER);
    expect(computeCareerFeatures(input, AS_OF)).toEqual(first);
  });
});

describe('CAREER_FEATURE_DOCS', () => {
  it('documents exactly the computed features, each in one non-empty line', () => {
    const computed = Object.keys(computeCareerFeatures(LADDER, AS_OF)).sort();
    expect(Object.keys(CAREER_FEATURE_DOCS).sort()).toEqual(computed);
    for (const doc of Object.values(CAREER_FEATURE_DOCS)) {
      expect(doc.trim()).not.toBe('');
      expect(doc).not.toContain('\n');
    }
  });

  it('is the README\'s table of career features, row for row', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const rows = readme.split('\n').filter((line) => /^\| `[a-zA-Z]+` \| /.test(line) && Object.hasOwn(CAREER_FEATURE_DOCS, line.split('`')[1]!));
    expect(rows).toEqual(Object.entries(CAREER_FEATURE_DOCS).map(([name, doc]) => `| \`${name}\` | ${doc.replace(/\|/g, '\\|')} |`));
  });
});
