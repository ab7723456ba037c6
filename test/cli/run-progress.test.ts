import { describe, expect, it } from 'vitest';
import { RecentRate } from '../../cli/recent-rate.js';
import { JsonProgress, progressRecord, progressText, type ProgressRecord } from '../../cli/run-progress.js';
import type { RunProgress } from '../../sim/run/run-scenario.js';
import { emptyBrokerStats } from '../../sim/stats/broker-stats.js';

function progress(overrides: Partial<RunProgress> = {}): RunProgress {
  return {
    epoch: 12,
    t: Date.parse('2030-01-05T06:00:00Z'),
    fraction: 0.123456,
    status: [
      { connected: 900, failing: 40, offline: 10, renewalBacklog: 7 },
      { connected: 50, failing: 0, offline: 0, renewalBacklog: 1 },
    ],
    broker: emptyBrokerStats(),
    live: { rotationsSucceeded: 120, rotationsFailed: 2, failures: { 'device:expired_root': 30, 'broker:expired_leaf': 10 }, connects: { attempted: 2000, succeeded: 1960, refusedByBroker: 10, rejectedByDevice: 30, transportFailures: 0 } },
    ...overrides,
  };
}

describe('the rotation rate over the last seconds', () => {
  it('is the growth of the running total per wall second over the window', () => {
    const rate = new RecentRate(5_000);
    expect(rate.observe(0, 0)).toBe(0);
    expect(rate.observe(1_000, 10)).toBe(10);
    expect(rate.observe(2_000, 30)).toBe(15);
  });

  it('forgets what happened before the window, so a burst that ended shows as a lull', () => {
    const rate = new RecentRate(5_000);
    rate.observe(0, 0);
    rate.observe(1_000, 1_000);
    rate.observe(6_000, 1_000);
    expect(rate.observe(8_000, 1_010)).toBeCloseTo(10 / 7, 5);
    expect(rate.observe(20_000, 1_010)).toBe(0);
  });

  it('is 0 for a first reading or readings at the same instant', () => {
    const rate = new RecentRate();
    expect(rate.observe(500, 40)).toBe(0);
    expect(rate.observe(500, 50)).toBe(0);
  });
});

describe('a progress record', () => {
  it('sums the cohorts, counts failures so far and keeps them by cause', () => {
    expect(progressRecord(progress(), 1_000, 12.345)).toEqual({
      type: 'progress',
      t: '2030-01-05T06:00:00.000Z',
      fraction: 0.1235,
      devices: 1_000,
      connected: 950,
      failing: 40,
      offline: 10,
      renewalBacklog: 8,
      rotationsSucceeded: 120,
      rotationsFailed: 2,
      rotationsPerSecond: 12.3,
      failures: 40,
      failuresByCause: { 'device:expired_root': 30, 'broker:expired_leaf': 10 },
    });
  });

  it('reads on the progress bar as date, connected devices, rotations per second and failures', () => {
    expect(progressText(progressRecord(progress(), 1_000, 12.345))).toBe(
      '2030-01-05T06:00Z connected 950/1000 failing 40 rotations 120 (12/s) failed 2 failures 40',
    );
    expect(progressText(progressRecord(progress(), 1_000, 0.25))).toContain('rotations 120 (0.3/s)');
  });
});

describe('run --json progress lines', () => {
  const record = (fraction: number): ProgressRecord => progressRecord(progress({ fraction }), 1_000, 0);

  it('writes at most one line per second, each a JSON object, and the last one held back when the run ends', () => {
    const lines: string[] = [];
    const json = new JsonProgress((line) => lines.push(line), 1_000);
    json.update(record(0.1), 0);
    json.update(record(0.2), 400);
    json.update(record(0.3), 900);
    json.update(record(0.4), 1_000);
    json.update(record(0.5), 1_500);
    json.finish();
    expect(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(true);
    expect(lines.map((line) => (JSON.parse(line) as ProgressRecord).fraction)).toEqual([0.1, 0.4, 0.5]);
  });

  it('does not repeat the last line at the end when it was already written', () => {
    const lines: string[] = [];
    const json = new JsonProgress((line) => lines.push(line));
    json.update(record(1), 0);
    json.finish();
    expect(lines.length).toBe(1);
  });
});
