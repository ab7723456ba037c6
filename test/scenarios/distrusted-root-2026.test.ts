import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../sim/results/run-summary.js';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenario } from '../../sim/scenario/load-scenario.js';

const FILE = fileURLToPath(new URL('../../scenarios/distrusted-root-2026.yaml', import.meta.url));
const DISTRUST = Date.parse('2026-04-15T00:00:00Z');
const MIGRATION = Date.parse('2026-06-01T00:00:00Z');

describe('distrusted-root-2026: 30 devices around the G1 distrust and the broker\'s move to G2', () => {
  let summary: RunSummary;

  beforeAll(async () => {
    const outDir = join(mkdtempSync(join(tmpdir(), 'certfleet-distrust-')), 'run');
    ({ summary } = await runScenario({ loaded: loadScenario(FILE), devices: 30, outDir, workers: 1 }));
  }, 120_000);

  it('fails the auto-updating cohort with root_distrusted after the update removed G1, while the broker serves G1', () => {
    const tally = summary.failures.byCohort['auto-update-g1-g2']?.['device:root_distrusted'];
    expect(tally?.devices).toBe(summary.cohorts['auto-update-g1-g2']?.devices);
    expect(Date.parse(tally?.first ?? '')).toBeGreaterThanOrEqual(DISTRUST);
    expect(Date.parse(tally?.last ?? '')).toBeLessThan(MIGRATION);
    expect(Object.keys(summary.failures.byCohort['auto-update-g1-g2'] ?? {})).toEqual(['device:root_distrusted']);
  });

  it('strands the frozen G1-only cohort with untrusted_root from the migration on', () => {
    const cohort = summary.failures.byCohort['frozen-g1-only'] ?? {};
    expect(Object.keys(cohort)).toEqual(['device:untrusted_root']);
    expect(Date.parse(cohort['device:untrusted_root']?.first ?? '')).toBeGreaterThanOrEqual(MIGRATION);
    expect(summary.unrecovered.list.filter((d) => d.cohort === 'frozen-g1-only')).toHaveLength(summary.cohorts['frozen-g1-only']?.devices ?? -1);
  });

  it('never fails the cohort that trusts both roots and ignores updates', () => {
    expect(summary.failures.byCohort['frozen-g1-g2']).toEqual({});
    expect(summary.unrecovered.list.filter((d) => d.cohort !== 'frozen-g1-only')).toEqual([]);
  });
});
