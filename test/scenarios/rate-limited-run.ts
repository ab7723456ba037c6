/**
 * Runs a shipped scenario in this process at a reduced fleet, as the scenario tests do: the fleet-wide rate limits are
 * scaled with the fleet (a shipped file states its scale, e.g. 1,000 devices for 50,000 at 1:50), so every queue wait
 * and every throttled wave keeps its full-size length. The per-client connect limit belongs to one device and is
 * not scaled.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenario, type LoadedScenario } from '../../sim/scenario/load-scenario.js';
import type { Scenario } from '../../sim/scenario/schema.js';
import { readEventLines, type EventLine } from '../support/event-lines.js';

export type { EventLine };

export function shippedScenario(name: string): LoadedScenario {
  return loadScenario(join(import.meta.dirname, '..', '..', 'scenarios', `${name}.yaml`));
}

/** The scenario for `devices` devices, its account-wide limits scaled by devices / fleet.devices. */
export function scaledTo(loaded: LoadedScenario, devices: number): LoadedScenario {
  const { scenario } = loaded;
  const limits = scenario.broker.limits;
  const factor = devices / scenario.fleet.devices;
  const scale = (value: number | undefined) => (value === undefined ? undefined : value * factor);
  const scaled: Scenario = {
    ...scenario,
    fleet: { ...scenario.fleet, devices },
    broker: {
      ...scenario.broker,
      limits: limits && {
        connectsPerSecond: scale(limits.connectsPerSecond),
        connectsPerClientPerSecond: limits.connectsPerClientPerSecond,
        issuancePerSecond: scale(limits.issuancePerSecond),
        registrationsPerSecond: scale(limits.registrationsPerSecond),
      },
    },
  };
  return { ...loaded, scenario: scaled };
}

export async function runInProcess(loaded: LoadedScenario) {
  const dir = mkdtempSync(join(tmpdir(), `certfleet-${loaded.scenario.name}-`));
  const { summary } = await runScenario({ loaded, devices: loaded.scenario.fleet.devices, outDir: join(dir, 'run'), workers: 1 });
  const events = readEventLines(join(dir, 'run', 'events.ndjson'));
  return { summary, events };
}

/** The most values that fall in one window of `windowMs` (aligned to multiples of it). */
export function peakPerWindow(times: readonly number[], windowMs: number): number {
  const counts = new Map<number, number>();
  for (const t of times) counts.set(Math.floor(t / windowMs), (counts.get(Math.floor(t / windowMs)) ?? 0) + 1);
  return Math.max(0, ...counts.values());
}
