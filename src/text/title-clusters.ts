/**
 * Groups similar titles by their character trigrams, for the review queue's diversity. Leader
 * clustering in one pass over candidates in rank order: a title joins the first leader whose trigram
 * set shares at least `threshold` of the union with its own (Jaccard), else it leads a new cluster.
 * The best-ranked title of each cluster is proposed and the cluster shows the similar titles beside
 * it. At 0.6, "sr java developer" joins "senior java developer" (0.65) and "senior software
 * engineer" joins "software engineer" (0.71), while "sales manager" and "marketing manager" (0.32)
 * stay apart.
 */
export interface Clustered<T> {
  leader: T;
  members: T[];
}

export function clusterTitles<T>(items: readonly T[], title: (item: T) => string, maxClusters: number, threshold = 0.6): Clustered<T>[] {
  const clusters: (Clustered<T> & { grams: Set<string> })[] = [];
  for (const item of items) {
    const grams = trigrams(title(item));
    const home = clusters.find((c) => jaccard(c.grams, grams) >= threshold);
    if (home) home.members.push(item);
    else if (clusters.length < maxClusters) clusters.push({ leader: item, members: [], grams });
  }
  return clusters.map(({ leader, members }) => ({ leader, members }));
}

/** Character trigrams of the title padded with a space, so short words count too. */
export function trigrams(text: string): Set<string> {
  const padded = ` ${text.trim().toLowerCase().replace(/\s+/g, ' ')} `;
  const grams = new Set<string>();
  for (let i = 0; i + 3 <= padded.length; i++) grams.add(padded.slice(i, i + 3));
  return grams;
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let shared = 0;
  for (const g of a) if (b.has(g)) shared++;
  const union = a.size + b.size - shared;
  return union === 0 ? 1 : shared / union;
}
