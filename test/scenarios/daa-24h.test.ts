import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../sim/results/run-summary.js';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenario } from '../../sim/scenario/load-scenario.js';
import { DAY } from '../support/time.js';

const FILE = fileURLToPath(new URL('../../scenarios/daa-24h.yaml', import.meta.url));
const START = Date.parse('2026-03-01T00:00:00Z');

describe('daa-24h: 40 devices on 24-hour certificates for a month', () => {
  let summary: RunSummary;

  beforeAll(async () => {
    const outDir = join(mkdtempSync(join(tmpdir(), 'certfleet-daa-')), 'run');
    ({ summary } = await runScenario({ loaded: loadScenario(FILE), devices: 40, outDir, workers: 1 }));
  }, 180_000);

  it('rotates the online devices about every 19 hours for the whole month without a failure', () => {
    const online = summary.cohorts['online-ntp'];
    const perDevice = (online?.rotations.succeeded ?? 0) / (online?.devices ?? 1);
    // 30 days at 80% of 24 h (with jitter): a little over 37 rotations each.
    expect(perDevice).toBeGreaterThan(33);
    expect(perDevice).toBeLessThan(42);
    expect(online?.rotations.failed).toBe(0);
    expect(summary.failures.byCohort['online-ntp']).toEqual({});
  });

  it('locks out the devices whose 36-hour outages outlast their 24-hour certificates: broker:expired_leaf', () => {
    const cohort = summary.cohorts['offline-36h'];
    expect(cohort?.lockedOut).toBe(cohort?.devices);
    expect(Object.keys(summary.failures.byCohort['offline-36h'] ?? {})).toEqual(['broker:expired_leaf']);
    // The first outage of each device starts within its first week.
    expect(Date.parse(summary.failures.byCohort['offline-36h']?.['broker:expired_leaf']?.first ?? '')).toBeLessThan(START + 9 * DAY);
  });

  it('fails the slow unsynced clocks\' rotations as not yet valid once their lag passes the one-minute backdate, then locks them out', () => {
    const slow = summary.cohorts['slow-rtc-no-ntp'];
    expect(slow?.lockedOut).toBe(slow?.devices);
    const failures = summary.rotations.failuresByCause.not_yet_valid_clock_behind;
    expect(failures?.devices).toBe(slow?.devices);
    // -65 to -75 ppm: 5.6 to 6.5 s a day, so 60 s of lag after 9 to 11 days.
    expect(Date.parse(failures?.first ?? '')).toBeGreaterThan(START + 8 * DAY);
    expect(Date.parse(failures?.first ?? '')).toBeLessThan(START + 12 * DAY);
  });

  it('lets the fast RC clocks renew more often than the online devices, without failures', () => {
    const fast = summary.cohorts['fast-rc-no-ntp'];
    const online = summary.cohorts['online-ntp'];
    const rate = (c: typeof fast) => (c?.rotations.succeeded ?? 0) / (c?.devices ?? 1);
    expect(rate(fast)).toBeGreaterThan(rate(online));
    expect(summary.failures.byCohort['fast-rc-no-ntp']).toEqual({});
  });
});
