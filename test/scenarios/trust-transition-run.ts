/**
 * For the trust-transition scenario tests (DST Root CA X3, AddTrust, Azure Baltimore to G2, CA rollover): runs a
 * shipped scenario in this process at a reduced fleet size, over real TLS, and reads back what a user would:
 * summary.json's numbers and the events.ndjson stream.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenario, type LoadedScenario } from '../../sim/scenario/load-scenario.js';
import type { JudgedRunSummary } from '../../sim/thresholds/evaluate-thresholds.js';

const SCENARIOS_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

/** One line of events.ndjson, with the fields these tests read. */
export interface TransitionEvent {
  type: string;
  t: number;
  device?: string;
  cohort?: string;
  cause?: string;
  certificateCause?: string;
  path?: string[];
  failed?: string;
  outcome?: string;
  result?: string;
}

export interface TransitionRun {
  summary: JudgedRunSummary;
  events: TransitionEvent[];
}

/** Loads scenarios/<name>.yaml as `certfleet validate` does (throws a ScenarioError listing every problem). */
export function loadShipped(name: string): LoadedScenario {
  return loadScenario(join(SCENARIOS_DIR, `${name}.yaml`));
}

export async function runShipped(name: string, devices: number): Promise<TransitionRun> {
  const loaded = loadShipped(name);
  const outDir = join(mkdtempSync(join(tmpdir(), `certfleet-${name}-`)), 'run');
  const { summary } = await runScenario({ loaded, devices, outDir, workers: 1 });
  const events = readFileSync(join(outDir, 'events.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as TransitionEvent);
  return { summary, events };
}

/** The device.connect events of one cohort, in time order. */
export function connectsOf(run: TransitionRun, cohort: string): TransitionEvent[] {
  return run.events.filter((e) => e.type === 'device.connect' && e.cohort === cohort).sort((a, b) => a.t - b.t);
}

/** Each device of a cohort that ever failed to connect, with the true time of its first failure. */
export function firstFailures(run: TransitionRun, cohort: string): Map<string, number> {
  const first = new Map<string, number>();
  for (const e of connectsOf(run, cohort)) {
    if (e.cause !== 'ok' && e.device !== undefined && !first.has(e.device)) first.set(e.device, e.t);
  }
  return first;
}

/** The availability sample taken at an instant (samples fall on the timeline's `sample` grid). */
export function sampleAt(run: TransitionRun, iso: string) {
  const sample = run.summary.availability.samples.find((s) => s.t === new Date(iso).toISOString());
  if (!sample) throw new Error(`no availability sample at ${iso}`);
  return sample;
}

/** The true time (ms) of a cohort's first failure with this judge:cause in summary.json; NaN when there is none. */
export function firstOf(run: TransitionRun, cohort: string, judgeCause: string): number {
  return Date.parse(run.summary.failures.byCohort[cohort]?.[judgeCause]?.first ?? '');
}
