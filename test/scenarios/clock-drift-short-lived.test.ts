import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceProfile } from '../../sim/plan/device-profile.js';
import { planFleet } from '../../sim/plan/fleet-plan.js';
import type { RunSummary } from '../../sim/results/run-summary.js';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenario, type LoadedScenario } from '../../sim/scenario/load-scenario.js';
import { readEventLines, type DeviceEventLine } from '../support/event-lines.js';
import { HOUR } from '../support/time.js';

const FILE = fileURLToPath(new URL('../../scenarios/clock-drift-short-lived.yaml', import.meta.url));
/** 80% of a 7-day certificate: how long a true clock waits between renewals at 80%. */
const EIGHTY_PERCENT_OF_7D = 0.8 * 7 * 24 * HOUR;
/** A clock this slow falls a whole second behind within a day between two syncs (1e6 / 86,400 ppm). */
const SECOND_A_DAY_PPM = 1e6 / 86_400;

async function run(loaded: LoadedScenario, devices: number, prefix: string) {
  const outDir = join(mkdtempSync(join(tmpdir(), prefix)), 'run');
  const { summary } = await runScenario({ loaded, devices, outDir, workers: 1 });
  const events = readEventLines<DeviceEventLine>(join(outDir, 'events.ndjson'));
  return { summary, events };
}

/** Each device's drift in ppm, drawn as the run draws it (plan and profile are pure). */
function driftsOf(loaded: LoadedScenario, devices: number): Map<string, { cohort: string; ppm: number }> {
  const plan = planFleet(loaded.scenario, { seed: loaded.scenario.seed, devices });
  return new Map(
    plan.devices.map((d) => {
      const profile = deviceProfile(plan, d);
      return [d.id, { cohort: profile.cohort.name, ppm: profile.clock.driftPpm }];
    }),
  );
}

describe('clock-drift-short-lived: 50 devices, 7-day certificates without backdating, two months', () => {
  const DEVICES = 50;
  let summary: RunSummary;
  let events: DeviceEventLine[];
  let drifts: Map<string, { cohort: string; ppm: number }>;
  const devicesOf = (cohort: string) => [...drifts].filter(([, d]) => d.cohort === cohort);
  const failedRotations = (device: string) => events.filter((e) => e.type === 'device.rotation' && e.device === device && e.outcome === 'failed');
  const lockedOut = (cohort: string) => new Set(events.filter((e) => e.type === 'device.locked-out' && e.cohort === cohort).map((e) => e.device));

  beforeAll(async () => {
    const loaded = loadScenario(FILE);
    drifts = driftsOf(loaded, DEVICES);
    ({ summary, events } = await run(loaded, DEVICES, 'certfleet-drift-'));
  }, 120_000);

  it('fails rotations only because of the clocks: not yet valid behind, expired ahead', () => {
    expect(Object.keys(summary.rotations.failuresByCause).sort()).toEqual(['expired_clock_ahead', 'not_yet_valid_clock_behind']);
    expect(Object.keys(summary.failures.byCause)).toEqual(['broker:expired_leaf']);
  });

  it('never fails a TCXO synced hourly or an industrial crystal synced daily: both stay under a second off', () => {
    for (const cohort of ['tcxo-ntp-1h', 'industrial-ntp-24h']) {
      expect(summary.cohorts[cohort]?.rotations.failed).toBe(0);
      expect(summary.cohorts[cohort]?.lockedOut).toBe(0);
      expect(summary.failures.byCohort[cohort]).toEqual({});
    }
  });

  it('makes a consumer crystal synced daily fail late-day renewals when it is slower than 11.6 ppm, and never locks it out', () => {
    const devices = devicesOf('consumer-ntp-24h');
    // A clock slower than -14.5 ppm is a second behind within 19.2 hours of a sync; renewals every 134.4 hours move
    // 14.4 hours through the day, so one of any five falls that late.
    const surelyLate = devices.filter(([, d]) => d.ppm < -14.5);
    expect(surelyLate.length).toBeGreaterThan(0);
    for (const [device] of surelyLate) expect(failedRotations(device).length).toBeGreaterThan(0);
    for (const [device, d] of devices) {
      const failures = failedRotations(device);
      if (d.ppm > -SECOND_A_DAY_PPM) expect(failures).toEqual([]);
      expect(failures.every((e) => e.cause === 'not_yet_valid_clock_behind' && e.step === 'check')).toBe(true);
    }
    expect(summary.cohorts['consumer-ntp-24h']?.lockedOut).toBe(0);
    expect(summary.failures.byCohort['consumer-ntp-24h']).toEqual({});
  });

  it('locks out exactly the slow consumer crystals without NTP, refused with expired_leaf at a reconnect', () => {
    const devices = devicesOf('consumer-no-ntp');
    const slow = devices.filter(([, d]) => d.ppm < -1).map(([id]) => id);
    const fast = devices.filter(([, d]) => d.ppm > 0).map(([id]) => id);
    expect(slow.length).toBeGreaterThan(0);
    expect(fast.length).toBeGreaterThan(0);
    expect(slow.length + fast.length).toBe(devices.length);
    expect([...lockedOut('consumer-no-ntp')].sort()).toEqual(slow.sort());
    for (const device of slow) expect(failedRotations(device).some((e) => e.cause === 'not_yet_valid_clock_behind')).toBe(true);
    for (const device of fast) expect(failedRotations(device)).toEqual([]);
    expect(summary.failures.byCohort['consumer-no-ntp']?.['broker:expired_leaf']?.devices).toBe(slow.length);
  });

  it('locks out every crystal far from its turnover temperature', () => {
    const size = summary.cohorts['cold-crystal-no-ntp']?.devices ?? 0;
    expect(size).toBeGreaterThan(0);
    expect(summary.cohorts['cold-crystal-no-ntp']?.lockedOut).toBe(size);
    expect(summary.cohorts['cold-crystal-no-ntp']?.rotations.failuresByCause).toEqual({
      not_yet_valid_clock_behind: summary.cohorts['cold-crystal-no-ntp']?.rotations.failed,
    });
    expect(summary.failures.byCohort['cold-crystal-no-ntp']?.['broker:expired_leaf']?.devices).toBe(size);
  });

  it('makes an ESP32 RC clock renew earlier and earlier in true time, without a failure', () => {
    const devices = devicesOf('esp32-rc-no-ntp');
    expect(devices.length).toBeGreaterThan(0);
    for (const [device] of devices) {
      const times = events
        .filter((e) => e.type === 'device.rotation' && e.device === device && e.outcome === 'succeeded')
        .map((e) => e.t);
      const intervals = times.slice(1).map((t, i) => t - (times[i] ?? 0));
      expect(intervals.length).toBeGreaterThanOrEqual(9);
      expect(intervals.every((interval) => interval < EIGHTY_PERCENT_OF_7D)).toBe(true);
      for (let i = 1; i < intervals.length; i += 1) expect(intervals[i]).toBeLessThan(intervals[i - 1] ?? 0);
      // At +6,400 ppm or more the clock gains at least 8 hours over the run: the last renewal comes that much sooner.
      expect((intervals[0] ?? 0) - (intervals.at(-1) ?? 0)).toBeGreaterThan(5 * HOUR);
    }
    expect(summary.cohorts['esp32-rc-no-ntp']?.rotations.failed).toBe(0);
    expect(summary.cohorts['esp32-rc-no-ntp']?.lockedOut).toBe(0);
  });

  it('makes a year-old RC clock, 8 days ahead, see every new certificate as expired, and locks it out', () => {
    const cohort = summary.cohorts['esp32-rc-year-old'];
    expect(cohort?.devices).toBeGreaterThan(0);
    expect(cohort?.rotations.succeeded).toBe(0);
    expect(cohort?.rotations.failuresByCause).toEqual({ expired_clock_ahead: cohort?.rotations.failed });
    expect(cohort?.lockedOut).toBe(cohort?.devices);
    expect(summary.failures.byCohort['esp32-rc-year-old']?.['broker:expired_leaf']?.devices).toBe(cohort?.devices);
  });
});

describe('clock-drift-short-lived with notBefore backdated by one hour: 24 devices', () => {
  let summary: RunSummary;

  beforeAll(async () => {
    const text = readFileSync(FILE, 'utf8');
    expect(text).toContain('    backdate: 0s\n');
    const file = join(mkdtempSync(join(tmpdir(), 'certfleet-drift-1h-')), 'clock-drift-backdated.yaml');
    writeFileSync(file, text.replace('    backdate: 0s\n', '    backdate: 1h\n'));
    ({ summary } = await run(loadScenario(file), 24, 'certfleet-drift-1h-run-'));
  }, 120_000);

  it('spares every slow clock, but not the clock that is ahead', () => {
    expect(Object.keys(summary.rotations.failuresByCause)).toEqual(['expired_clock_ahead']);
    // The cold crystals (-69 to -31 ppm, never synced) now renew throughout.
    const cold = summary.cohorts['cold-crystal-no-ntp'];
    expect(cold?.devices).toBeGreaterThan(0);
    expect(cold?.rotations.succeeded).toBeGreaterThanOrEqual(9 * (cold?.devices ?? 0));
    const yearOld = summary.cohorts['esp32-rc-year-old'];
    expect(yearOld?.devices).toBeGreaterThan(0);
    expect(yearOld?.lockedOut).toBe(yearOld?.devices);
    expect(summary.lockedOut).toBe(yearOld?.devices);
  });
});
