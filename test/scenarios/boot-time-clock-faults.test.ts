import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../sim/results/run-summary.js';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenario } from '../../sim/scenario/load-scenario.js';

const FILE = fileURLToPath(new URL('../../scenarios/boot-time-clock-faults.yaml', import.meta.url));
const GPS_ROLLOVER = Date.parse('2019-04-06T23:59:42Z');
const FIRST_SERVER_RENEWAL = Date.parse('2019-03-16T00:00:00Z');

interface ConnectEvent {
  type: string;
  t: number;
  device: string;
  cohort: string;
  cause: string;
  clockSkewMs?: number;
}

describe('boot-time-clock-faults: 100 devices with 1970, build-time and GPS-rollover clocks', () => {
  let summary: RunSummary;
  let connects: ConnectEvent[];

  beforeAll(async () => {
    const outDir = join(mkdtempSync(join(tmpdir(), 'certfleet-boot-')), 'run');
    ({ summary } = await runScenario({ loaded: loadScenario(FILE), devices: 100, outDir, workers: 1 }));
    connects = readFileSync(join(outDir, 'events.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ConnectEvent)
      .filter((e) => e.type === 'device.connect');
  }, 180_000);

  const cohortFailures = (cohort: string) => Object.keys(summary.failures.byCohort[cohort] ?? {});

  it('never fails the healthy cohort', () => {
    expect(summary.failures.byCohort.healthy).toEqual({});
  });

  it('fails a dead-RTC device once per boot, with its clock in 1970, then connects after SNTP', () => {
    const events = connects.filter((e) => e.cohort === 'rtc-dead-sntp');
    const failures = events.filter((e) => e.cause === 'not_yet_valid_clock_behind');
    expect(cohortFailures('rtc-dead-sntp')).toEqual(['device:not_yet_valid_clock_behind']);
    // The clock is decades behind (1970 against 2019).
    expect(Math.max(...failures.map((e) => e.clockSkewMs ?? 0))).toBeLessThan(-40 * 365 * 86_400_000);
    // Every failure is followed by a success: the retry (35 s later) comes after SNTP set the clock.
    for (const failure of failures) {
      const next = events.find((e) => e.device === failure.device && e.t > failure.t);
      expect(next?.cause).toBe('ok');
    }
    expect(summary.availability.final?.cohorts['rtc-dead-sntp']).toBe(1);
  });

  it('never connects a dead-RTC device whose SNTP is blocked', () => {
    const events = connects.filter((e) => e.cohort === 'rtc-dead-no-sntp');
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.cause === 'not_yet_valid_clock_behind')).toBe(true);
  });

  it('fails the build-time clock from the first server renewal on, and not before', () => {
    const tally = summary.failures.byCohort['build-time-clock']?.['device:not_yet_valid_clock_behind'];
    expect(Date.parse(tally?.first ?? '')).toBeGreaterThanOrEqual(FIRST_SERVER_RENEWAL);
    expect(tally?.devices).toBe(summary.cohorts['build-time-clock']?.devices);
    expect(connects.filter((e) => e.cohort === 'build-time-clock' && e.t < FIRST_SERVER_RENEWAL).every((e) => e.cause === 'ok')).toBe(true);
  });

  it('fails the GPS devices from the week rollover on, with clocks about 1024 weeks behind', () => {
    const events = connects.filter((e) => e.cohort === 'gps-rollover');
    expect(events.filter((e) => e.t < GPS_ROLLOVER).every((e) => e.cause === 'ok')).toBe(true);
    const after = events.filter((e) => e.t >= GPS_ROLLOVER);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((e) => e.cause === 'not_yet_valid_clock_behind')).toBe(true);
    const skewWeeks = (after[0]?.clockSkewMs ?? 0) / (7 * 86_400_000);
    expect(Math.round(skewWeeks)).toBe(-1024);
  });
});
