/** Class shares and decision sources of the positions a run scored: what a run prints. Pure. */
import { DEPARTMENT_CLASSES, SENIORITY_CLASSES, TASKS, type Task } from '../domain/labels.ts';
import type { PredictionSource, ScoredProfile } from '../domain/prediction.ts';

export interface TaskSummary {
  shares: { label: string; n: number; share: number }[];
  sources: Partial<Record<PredictionSource, number>>;
  fallbackRate: number;
  meanConfidence: number;
}

export type ScoringSummary = Record<Task, TaskSummary> & { positions: number };

interface Tally {
  counts: Map<string, number>;
  sources: Partial<Record<PredictionSource, number>>;
  confidence: number;
}

/** Accumulates batch by batch, so a run over millions of profiles keeps only counters. */
export class SummaryAccumulator {
  private positions = 0;
  private readonly tallies: Record<Task, Tally> = {
    seniority: { counts: new Map(SENIORITY_CLASSES.map((c) => [c, 0])), sources: {}, confidence: 0 },
    department: { counts: new Map(DEPARTMENT_CLASSES.map((c) => [c, 0])), sources: {}, confidence: 0 },
  };

  add(scored: readonly ScoredProfile[]): void {
    for (const profile of scored) {
      for (const { prediction } of profile.positions) {
        this.positions += 1;
        for (const task of TASKS) {
          const t = prediction[task];
          const tally = this.tallies[task];
          tally.counts.set(t.label, (tally.counts.get(t.label) ?? 0) + 1);
          tally.sources[t.source] = (tally.sources[t.source] ?? 0) + 1;
          tally.confidence += t.confidence;
        }
      }
    }
  }

  result(): ScoringSummary {
    const n = this.positions;
    const summarize = ({ counts, sources, confidence }: Tally): TaskSummary => ({
      shares: [...counts].map(([label, c]) => ({ label, n: c, share: n === 0 ? 0 : c / n })).sort((a, b) => b.n - a.n),
      sources: { ...sources },
      fallbackRate: n === 0 ? 0 : (sources.fallback ?? 0) / n,
      meanConfidence: n === 0 ? 0 : confidence / n,
    });
    return { positions: n, seniority: summarize(this.tallies.seniority), department: summarize(this.tallies.department) };
  }
}
