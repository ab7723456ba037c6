/**
 * The tiny test scenario (test/support/tiny-scenario.ts) made busy enough for fault tests: 8 devices (4 per cohort)
 * with 2-day certificates over 10 days, so every device renews several times, plus a `faults:` section.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenario } from '../../sim/scenario/load-scenario.js';
import { readEventLines, type EventLine } from './event-lines.js';
import { TINY_SCENARIO } from './tiny-scenario.js';

/** An event line with the fields fault events add. */
export type FaultEventLine = EventLine & { fault?: number; effect?: string; kind?: string };

export const FAULT_TIMELINE = { start: Date.parse('2030-01-01T00:00:00Z'), end: Date.parse('2030-01-11T00:00:00Z') };

export function faultScenarioText(faults: string, extra = ''): string {
  return (
    TINY_SCENARIO.replace('lifetime: 30d', 'lifetime: 2d')
      .replace('devices: 4', 'devices: 8')
      .replace('end: 2030-03-01T00:00:00Z', 'end: 2030-01-11T00:00:00Z') +
    `faults:\n${faults}\n${extra}`
  );
}

/** Writes the scenario to a fresh folder and runs it in this process; the run folder is beside it. */
export async function runFaultScenario(text: string, options: { workers?: number; deviceProcesses?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-faults-'));
  const file = join(dir, 'faults.yaml');
  writeFileSync(file, text);
  const out = join(dir, 'run');
  const { summary } = await runScenario({ loaded: loadScenario(file), outDir: out, workers: options.workers ?? 1, deviceProcesses: options.deviceProcesses });
  return { summary, events: readEventLines<FaultEventLine>(join(out, 'events.ndjson')), dir: out, file };
}
