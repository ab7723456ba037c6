import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { JudgedRunSummary } from '../sim/thresholds/evaluate-thresholds.js';

/** The last line of `run --json`: where the results are and how the run ended, instead of the human "results:" lines. */
export interface ResultRecord {
  type: 'result';
  dir: string;
  complete: boolean;
  interruption?: string;
  thresholdsPassed: boolean;
  /** Whether any threshold was evaluated: false means nothing was gated. */
  gated: boolean;
  /** Every file the run folder holds, as paths. */
  files: string[];
}

export async function resultRecord(dir: string, summary: Pick<JudgedRunSummary, 'complete' | 'interruption' | 'thresholdsPassed' | 'gated'>): Promise<ResultRecord> {
  const entries = await readdir(dir, { withFileTypes: true });
  return {
    type: 'result',
    dir,
    complete: summary.complete,
    ...(summary.interruption !== undefined ? { interruption: summary.interruption } : {}),
    thresholdsPassed: summary.thresholdsPassed,
    gated: summary.gated,
    files: entries
      .filter((e) => e.isFile())
      .map((e) => join(dir, e.name))
      .sort(),
  };
}
