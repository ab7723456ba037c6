import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScenario } from '../sim/run/run-scenario.js';
import { loadScenario } from '../sim/scenario/load-scenario.js';

export interface ReplayMeasurement {
  scenario: string;
  devices: number;
  simulatedDays: number;
  wallSeconds: number;
  rotationsSucceeded: number;
  rotationsFailed: number;
  rotationsPerWallSecond: number;
  epochs: number;
  /** Wall time a 30-day replay would take at this rate (rotations scale with days; setup does not). */
  projectedWallSecondsFor30Days: number;
  harness: unknown;
}

/** The first `days` simulated days of a bundled scenario for `devices` devices, as `certfleet run` would replay them. */
export async function measureReplay(options: { scenario: string; devices: number; days: number; workers: number }): Promise<ReplayMeasurement> {
  const file = fileURLToPath(new URL(`../../scenarios/${options.scenario}.yaml`, import.meta.url));
  const loaded = loadScenario(file);
  const timeline = loaded.scenario.timeline;
  const end = Math.min(timeline.end, timeline.start + options.days * 86_400_000);
  const shortened = { ...loaded, scenario: { ...loaded.scenario, timeline: { ...timeline, end } } };
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-replay-'));
  try {
    const { summary } = await runScenario({ loaded: shortened, devices: options.devices, outDir: dir, workers: options.workers });
    const days = (end - timeline.start) / 86_400_000;
    const rate = summary.rotations.succeeded / Math.max(summary.wall.seconds, 1e-9);
    return {
      scenario: options.scenario,
      devices: options.devices,
      simulatedDays: days,
      wallSeconds: summary.wall.seconds,
      rotationsSucceeded: summary.rotations.succeeded,
      rotationsFailed: summary.rotations.failed,
      rotationsPerWallSecond: Math.round(rate),
      epochs: summary.wall.epochs,
      projectedWallSecondsFor30Days: Math.round(summary.wall.seconds * (30 / days)),
      harness: summary.harness,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
