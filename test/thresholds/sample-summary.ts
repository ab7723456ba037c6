/**
 * A small hand-built run summary for metric and threshold tests: six devices in two cohorts ("steady" with four,
 * "legacy" with two), three daily availability samples, a few failures and rotations.
 */
import type { RunSummary } from '../../sim/results/run-summary.js';
import type { MetricSource } from '../../sim/thresholds/metrics.js';

export type SampleSummary = MetricSource & Pick<RunSummary, 'complete'>;

const T = '2030-01-01T00:00:00.000Z';
const tally = (count: number, devices: number) => ({ count, devices, first: T, last: T });

export function sampleSummary(): SampleSummary {
  return {
    complete: true,
    rotations: {
      attempted: 10,
      succeeded: 8,
      failed: 2,
      failuresByCause: { rotation_timeout: tally(2, 2) },
      throughputPerWallSecond: 4,
      latencyMs: { count: 8, p50: 120, p95: 1500, p99: 2500, max: 3000, distribution: [{ ms: 120, cumulative: 4 }, { ms: 3000, cumulative: 8 }] },
    },
    connects: {
      attempted: 30,
      succeeded: 20,
      perWallSecond: 10,
      latencyMs: { count: 20, p50: 8, p95: 40, p99: 90, max: 120 },
      refusedByBroker: 3,
      rejectedByDevice: 7,
      transportFailures: 0,
    },
    failures: {
      byCause: { 'device:expired_root': tally(5, 2), 'broker:expired_leaf': tally(3, 1), 'device:expired_leaf': tally(2, 1) },
      byCohort: {
        steady: { 'broker:expired_leaf': tally(3, 1) },
        legacy: { 'device:expired_root': tally(5, 2), 'device:expired_leaf': tally(2, 1) },
      },
    },
    cohorts: {
      steady: {
        devices: 4,
        connects: { attempted: 20, succeeded: 17 },
        rotations: { attempted: 7, succeeded: 6, failed: 1, failuresByCause: { rotation_timeout: 1 } },
        lockedOut: 0,
        trustUpdates: {},
      },
      legacy: {
        devices: 2,
        connects: { attempted: 10, succeeded: 3 },
        rotations: { attempted: 3, succeeded: 2, failed: 1, failuresByCause: { rotation_timeout: 1 } },
        lockedOut: 1,
        trustUpdates: {},
      },
    },
    lockedOut: 1,
    unrecovered: {
      devices: 2,
      byCause: { 'broker:expired_leaf': 1, 'device:expired_root': 1 },
      list: [
        { device: 'device-0001', cohort: 'steady', cause: 'broker:expired_leaf', since: T },
        { device: 'device-0005', cohort: 'legacy', cause: 'device:expired_root', since: T },
      ],
    },
    availability: {
      samples: [
        { t: '2030-01-02T00:00:00.000Z', connected: 1, failing: 0, offline: 0, renewalBacklog: 0, cohorts: { steady: 1, legacy: 1 } },
        { t: '2030-01-03T00:00:00.000Z', connected: 0.3333, failing: 0.6667, offline: 0, renewalBacklog: 0, cohorts: { steady: 0.5, legacy: 0 } },
        { t: '2030-01-04T00:00:00.000Z', connected: 0.8333, failing: 0.1667, offline: 0, renewalBacklog: 0, cohorts: { steady: 1, legacy: 0.5 } },
      ],
      lowest: { t: '2030-01-03T00:00:00.000Z', connected: 0.3333 },
      final: { t: '2030-01-04T00:00:00.000Z', connected: 0.8333, failing: 0.1667, offline: 0, renewalBacklog: 0, cohorts: { steady: 1, legacy: 0.5 } },
    },
    harness: { speed: 'max', lateEpochs: 3, maxLagMs: 0, finalLagMs: 0 },
  };
}

/** A run that measured nothing: no availability sample, no rotation, no connect. */
export function emptySummary(): SampleSummary {
  const summary = sampleSummary();
  return {
    ...summary,
    rotations: { ...summary.rotations, attempted: 0, succeeded: 0, failed: 0, failuresByCause: {}, latencyMs: { count: 0, p50: 0, p95: 0, p99: 0, max: 0, distribution: [] } },
    connects: { ...summary.connects, latencyMs: { count: 0, p50: 0, p95: 0, p99: 0, max: 0 } },
    cohorts: Object.fromEntries(
      Object.entries(summary.cohorts).map(([name, c]) => [name, { ...c, rotations: { attempted: 0, succeeded: 0, failed: 0, failuresByCause: {} } }]),
    ),
    availability: { samples: [], lowest: undefined, final: undefined },
  };
}
