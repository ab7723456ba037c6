import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../sim/results/run-summary.js';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenario } from '../../sim/scenario/load-scenario.js';

const FILE = fileURLToPath(new URL('../../scenarios/cloned-identities.yaml', import.meta.url));
const REVOCATION = Date.parse('2030-01-15T00:00:00Z');

async function run() {
  const outDir = join(mkdtempSync(join(tmpdir(), 'certfleet-clones-')), 'run');
  const { summary } = await runScenario({ loaded: loadScenario(FILE), devices: 40, outDir, workers: 1 });
  const audits = readFileSync(join(outDir, 'audits.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { time: string; check: string; resources: string[] });
  return { summary, audits };
}

describe('cloned-identities: 40 devices, one group of 4 on one certificate, 2 on one client id', () => {
  let first: Awaited<ReturnType<typeof run>>;
  let second: Awaited<ReturnType<typeof run>>;

  beforeAll(async () => {
    first = await run();
    second = await run();
  }, 240_000);

  const cohortConnects = (summary: RunSummary, cohort: string) => summary.cohorts[cohort]?.connects.attempted ?? 0;

  it('keeps the healthy cohort clean', () => {
    expect(first.summary.failures.byCohort.healthy).toEqual({});
  });

  it('has the clones knock each other off: far more connects than devices, and rate_limited refusals', () => {
    expect(cohortConnects(first.summary, 'cloned-certificate')).toBeGreaterThan(20 * (first.summary.cohorts['cloned-certificate']?.devices ?? 0));
    expect(first.summary.failures.byCohort['cloned-certificate']?.['broker:rate_limited']?.count).toBeGreaterThan(0);
    expect(first.summary.failures.byCohort['shared-client-id']?.['broker:rate_limited']?.count).toBeGreaterThan(0);
  });

  it('reports DEVICE_CERT_SHARED and CONFLICTING_CLIENT_IDS from the first daily audit', () => {
    const checks = first.summary.audits.checks;
    expect(checks.DEVICE_CERT_SHARED?.firstFound).toBe('2030-01-02T00:00:00.000Z');
    expect(checks.CONFLICTING_CLIENT_IDS?.firstFound).toBe('2030-01-02T00:00:00.000Z');
    expect(checks.CONFLICTING_CLIENT_IDS?.final).toContain('sensor-01');
  });

  it('refuses the cloned certificate as revoked from day 15, and audits it as revoked but still active', () => {
    const revoked = first.summary.failures.byCohort['cloned-certificate']?.['broker:revoked'];
    expect(Date.parse(revoked?.first ?? '')).toBeGreaterThanOrEqual(REVOCATION);
    const stillActive = first.audits.filter((a) => a.check === 'REVOKED_DEVICE_CERT_STILL_ACTIVE');
    expect(stillActive.length).toBeGreaterThan(0);
    expect(stillActive.every((a) => Date.parse(a.time) > REVOCATION)).toBe(true);
    expect(first.summary.availability.final?.cohorts['cloned-certificate']).toBe(0);
  });

  it('takes sessions over in the same order on a second run with the same seed', () => {
    expect(second.summary.failures).toEqual(first.summary.failures);
    expect(second.summary.cohorts).toEqual(first.summary.cohorts);
  });
});
