/**
 * Synthetic profiles for load tests and demos (`produce --synthetic N`, the pipeline benchmark):
 * realistic-looking EN/DE/FR careers, deterministic for a given prefix and count, valid under the
 * message contract.
 */
import type { ProfileMessage } from '../../domain/profile.ts';

const TITLES = [
  'Software Engineer', 'Senior Software Engineer', 'Junior Developer', 'Lead Data Scientist', 'Head of Sales',
  'Account Executive', 'Marketing Manager', 'HR Business Partner', 'Project Manager', 'IT Consultant',
  'Business Development Manager', 'Customer Support Specialist', 'Office Assistant', 'Purchasing Manager',
  'Chief Executive Officer', 'Director of Engineering', 'Werkstudent Softwareentwicklung', 'Vertriebsleiter',
  'Geschäftsführerin', 'Projektleiter IT', 'Personalreferentin', 'Einkäufer', 'Ingénieur logiciel',
  'Chef de projet', 'Responsable marketing', 'Directeur commercial', 'Chargée de clientèle', 'Stagiaire RH',
];
const ORGANIZATIONS = ['ACME GmbH', 'Nordlicht AG', 'Société Générale', 'Globex Corp', 'Initech', 'Umbrella SE', 'Hooli', 'Stark Industries'];

/** A small deterministic PRNG (mulberry32): the same seed always yields the same profiles. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const month = (year: number, m: number) => `${year}-${String(m).padStart(2, '0')}`;

/** Profile `i` of a run: ids are `<prefix>-<i>`; 1 to 6 positions (3.5 on average), the latest ACTIVE. */
export function syntheticProfile(prefix: string, i: number): ProfileMessage {
  const next = seededRandom(i * 7919 + 17);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const count = 1 + Math.floor(next() * 6);
  let year = 2000 + Math.floor(next() * 12);
  const positions = Array.from({ length: count }, (_, k) => {
    const startDate = month(year, 1 + Math.floor(next() * 12));
    year += 1 + Math.floor(next() * 3);
    const last = k === count - 1;
    return {
      position: pick(TITLES),
      organization: pick(ORGANIZATIONS),
      startDate,
      endDate: last ? null : month(Math.min(year, 2025), 1 + Math.floor(next() * 12)),
      status: last ? ('ACTIVE' as const) : ('INACTIVE' as const),
    };
  });
  return { profileId: `${prefix}-${i}`, positions };
}

export function* syntheticProfiles(prefix: string, count: number): Generator<ProfileMessage> {
  for (let i = 0; i < count; i += 1) yield syntheticProfile(prefix, i);
}
