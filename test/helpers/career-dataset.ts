/**
 * A small hand-built dataset whose statistics are worked out by hand in the tests: four profiles,
 * nine positions, two ingestion days, one fallback decision, one step down.
 *
 *   profile  position (chronological)                        labels (seniority / department)   completed months
 *   p1       Junior Developer   Initech 2015-06..2017-12      Junior / IT                         31
 *            Sales Manager      ACME    2018-01..2020-12      Lead / Sales                        36
 *            Head of Sales      ACME    2021-01..  ACTIVE     Director / Sales                    (ongoing)
 *   p2       Junior Developer   Initech 2016..2018            Junior / IT                         36 (bare years)
 *            Senior Developer   Initech 2019-01..2022-06      Senior / IT                         42
 *            Consultant         Globex  2022-07..  ACTIVE     Professional / Consulting           (ongoing)
 *   p3       Buchhalterin       Nordlicht GmbH 2020-03.. ACTIVE  Professional / Other (fallback)  (ongoing)
 *   p4       Recruiter          ACME    2019-01..2019-12      Professional / Human Resources      12
 *            HR Lead            ACME    2020-01..  ACTIVE     Lead / Human Resources              (ongoing)
 *
 * p1-p3 are ingested on 2024-05-01, p4 on 2024-05-02 (set by `setIngestionDays`).
 */
import { sql } from 'drizzle-orm';
import { DEFAULT_DRIFT, type DriftSettings, rebuildStats } from '../../src/store/distribution-stats.ts';
import type { ProfileMessage } from '../../src/domain/profile.ts';
import { scoreProfiles } from '../../src/pipeline/score.ts';
import type { Db } from '../../src/store/db.ts';
import { registerModelVersion, storeScoredProfiles } from '../../src/store/write-results.ts';
import { fixedClassifier } from './fixed-classifier.ts';

export const DATASET_MODEL = 'stats-v1';

/** Known titles score 0.95 / 0.85 by the "ensemble"; Buchhalterin is unknown: fallback, 0.35 / 0.25. */
export const datasetClassifier = fixedClassifier(
  DATASET_MODEL,
  {
    'Junior Developer': ['Junior', 'Information Technology'],
    'Sales Manager': ['Lead', 'Sales'],
    'Head of Sales': ['Director', 'Sales'],
    'Senior Developer': ['Senior', 'Information Technology'],
    Consultant: ['Professional', 'Consulting'],
    Recruiter: ['Professional', 'Human Resources'],
    'HR Lead': ['Lead', 'Human Resources'],
  },
  ['Professional', 'Other'],
);

export const datasetProfiles: ProfileMessage[] = [
  {
    profileId: 'p1',
    positions: [
      { position: 'Head of Sales', organization: 'ACME', startDate: '2021-01', endDate: null, status: 'ACTIVE' },
      { position: 'Sales Manager', organization: 'ACME', startDate: '2018-01', endDate: '2020-12', status: 'INACTIVE' },
      { position: 'Junior Developer', organization: 'Initech', startDate: '2015-06', endDate: '2017-12', status: 'INACTIVE' },
    ],
  },
  {
    profileId: 'p2',
    positions: [
      { position: 'Consultant', organization: 'Globex', startDate: '2022-07', endDate: null, status: 'ACTIVE' },
      { position: 'Senior Developer', organization: 'Initech', startDate: '2019-01', endDate: '2022-06', status: 'INACTIVE' },
      { position: 'Junior Developer', organization: 'Initech', startDate: '2016', endDate: '2018', status: 'INACTIVE' },
    ],
  },
  {
    profileId: 'p3',
    positions: [{ position: 'Buchhalterin', organization: 'Nordlicht GmbH', startDate: '2020-03', endDate: null, status: 'ACTIVE' }],
  },
  {
    profileId: 'p4',
    positions: [
      { position: 'HR Lead', organization: 'ACME', startDate: '2020-01', endDate: null, status: 'ACTIVE' },
      { position: 'Recruiter', organization: 'ACME', startDate: '2019-01', endDate: '2019-12', status: 'INACTIVE' },
    ],
  },
];

export async function setIngestionDays(db: Db): Promise<void> {
  await db.execute(sql`update profiles set created_at = '2024-05-01T10:00:00Z' where profile_id in ('p1', 'p2', 'p3')`);
  await db.execute(sql`update profiles set created_at = '2024-05-02T23:30:00Z' where profile_id = 'p4'`);
}

/**
 * Scores and stores the dataset, dates the ingestion, and rebuilds the statistics: dating edits
 * stored rows behind the writer's back, which is what the repair is for.
 */
export async function loadDataset(db: Db, drift: DriftSettings = DEFAULT_DRIFT): Promise<void> {
  await registerModelVersion(db, { version: DATASET_MODEL, kind: 'test', manifest: {} });
  await storeScoredProfiles(db, await scoreProfiles(datasetProfiles, datasetClassifier, '2024-06'), 'test');
  await setIngestionDays(db);
  await rebuildStats(db, DATASET_MODEL, drift);
}
