import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenario, ScenarioError } from '../../sim/scenario/load-scenario.js';
import { policyFixture, writeModuleScenario } from '../support/policy-module-scenario.js';
import { DAY } from '../support/time.js';

describe('a cohort renewing with the team\'s own TypeScript policy module', () => {
  it('renews when the module says: 10 days before expiry (plus up to a day), every certificate', async () => {
    const { dir, file } = writeModuleScenario(`{ module: ${policyFixture('weekly-window.ts')}, options: { daysBeforeExpiry: 10 } }`);
    const outDir = join(dir, 'run');
    await runScenario({ loaded: loadScenario(file), devices: 6, outDir, workers: 1 });
    const events = readFileSync(join(outDir, 'events.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; t: number; device: string; cohort: string; outcome?: string });
    const issued = events.filter((e) => e.type === 'device.rotation' && e.outcome === 'succeeded' && e.cohort === 'steady');
    expect(issued.length).toBeGreaterThan(0);
    // Each renewal of a 30-day certificate falls between 20 and 21 days after the previous one.
    const byDevice = new Map<string, number[]>();
    for (const e of issued) byDevice.set(e.device, [...(byDevice.get(e.device) ?? []), e.t]);
    for (const times of byDevice.values()) {
      for (let i = 1; i < times.length; i += 1) {
        const gap = (times[i] ?? 0) - (times[i - 1] ?? 0);
        expect(gap).toBeGreaterThanOrEqual(20 * DAY - 3_600_000);
        expect(gap).toBeLessThanOrEqual(21 * DAY);
      }
    }
  }, 120_000);

  it('refuses a run whose policy module does not export a factory, naming the cohort and the module', async () => {
    const { dir, file } = writeModuleScenario(`{ module: ${policyFixture('broken.mjs')} }`);
    const run = runScenario({ loaded: loadScenario(file), devices: 2, outDir: join(dir, 'run'), workers: 1 });
    await expect(run).rejects.toBeInstanceOf(ScenarioError);
    await expect(run).rejects.toThrow(/fleet\.cohorts\[0\]\.renewal\.module: renewal policy module .*broken\.mjs: expected a default export/);
  });
});
