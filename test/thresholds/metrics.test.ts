import { describe, expect, it } from 'vitest';
import { defineThreshold } from '../../sim/thresholds/define-threshold.js';
import { formatMetricValue, METRICS } from '../../sim/thresholds/metrics.js';
import { emptySummary, sampleSummary, type SampleSummary } from './sample-summary.js';

/** The value a check's metric reads from a summary, through the same path the run takes. */
function read(summary: SampleSummary, metricText: string, cohort?: string): number | undefined {
  const defined = defineThreshold({ check: `${metricText} >= 0`, cohort }, ['steady', 'legacy']);
  if ('problems' in defined) throw new Error(defined.problems.map((p) => p.message).join('; '));
  const t = defined.threshold;
  return t.metric.extract(summary, { argument: t.argument, cohort: t.cohort });
}

/** "cohort legacy" -> "legacy"; "the fleet" -> no cohort. */
function cohortIn(scope: string): string | undefined {
  return scope.startsWith('cohort ') ? scope.slice('cohort '.length) : undefined;
}

describe('metrics read from a run summary', () => {
  const summary = sampleSummary();

  it.each<[string, string, number]>([
    ['availability.min', 'the fleet', 0.3333],
    ['availability.min', 'cohort steady', 0.5],
    ['availability.min', 'cohort legacy', 0],
    ['availability.final', 'the fleet', 0.8333],
    ['availability.final', 'cohort steady', 1],
    ['availability.final', 'cohort legacy', 0.5],
    ['lockedOut', 'the fleet', 1],
    ['lockedOut', 'cohort steady', 0],
    ['lockedOut', 'cohort legacy', 1],
    ['unrecovered', 'the fleet', 2],
    ['unrecovered', 'cohort steady', 1],
    ['rotations.attempted', 'the fleet', 10],
    ['rotations.succeeded', 'the fleet', 8],
    ['rotations.succeeded', 'cohort steady', 6],
    ['rotations.failed', 'cohort legacy', 1],
    ['rotations.successRate', 'the fleet', 0.8],
    ['rotations.successRate', 'cohort legacy', 2 / 3],
    ['rotation.latency.p50', 'the fleet', 120],
    ['rotation.latency.p95', 'the fleet', 1500],
    ['rotation.latency.p99', 'the fleet', 2500],
    ['connect.latency.p50', 'the fleet', 8],
    ['connect.latency.p95', 'the fleet', 40],
    ['connect.latency.p99', 'the fleet', 90],
    ['failures', 'the fleet', 10],
    ['failures', 'cohort steady', 3],
    ['failures', 'cohort legacy', 7],
    ['failures[expired_root]', 'the fleet', 5],
    ['failures[expired_leaf]', 'the fleet', 5],
    ['failures[broker:expired_leaf]', 'the fleet', 3],
    ['failures[device:expired_leaf]', 'the fleet', 2],
    ['failures[expired_leaf]', 'cohort legacy', 2],
    ['failures[untrusted_root]', 'the fleet', 0],
    ['failedDevices[expired_root]', 'the fleet', 2],
    ['failedDevices[expired_leaf]', 'the fleet', 2],
    ['failedDevices[broker:expired_leaf]', 'cohort steady', 1],
    ['failedDevices[expired_root]', 'cohort steady', 0],
    ['rotationFailures[rotation_timeout]', 'the fleet', 2],
    ['rotationFailures[rotation_timeout]', 'cohort steady', 1],
    ['rotationFailures[locked_out]', 'cohort steady', 0],
    ['rotationFailures[locked_out]', 'the fleet', 0],
    ['harness.lateEpochs', 'the fleet', 3],
    ['harness.devicesRestarted', 'the fleet', 0],
  ])('%s for %s is %d', (metricText, scope, value) => {
    expect(read(summary, metricText, cohortIn(scope))).toBeCloseTo(value, 10);
  });

  it.each([
    ['availability.min', 'the fleet'],
    ['availability.final', 'cohort steady'],
    ['rotations.successRate', 'the fleet'],
    ['rotations.successRate', 'cohort legacy'],
    ['rotation.latency.p95', 'the fleet'],
    ['connect.latency.p99', 'the fleet'],
  ])('%s for %s has no value when the run measured nothing', (metricText, scope) => {
    expect(read(emptySummary(), metricText, cohortIn(scope))).toBeUndefined();
  });

  it('counts zero, not nothing, when a run had no failures', () => {
    expect(read(emptySummary(), 'rotationFailures[rotation_timeout]')).toBe(0);
    expect(read({ ...emptySummary(), failures: { byCause: {}, byCohort: { steady: {}, legacy: {} } } }, 'failures', 'steady')).toBe(0);
  });

  it('describes every metric and gives it a unit', () => {
    for (const metric of METRICS.values()) {
      expect(metric.description.length, metric.name).toBeGreaterThan(10);
      expect(['share', 'ms', 'count']).toContain(metric.unit);
    }
  });

  it('formats values in their unit for people', () => {
    expect(formatMetricValue('share', 0.998)).toBe('99.8%');
    expect(formatMetricValue('share', 1)).toBe('100%');
    expect(formatMetricValue('share', 2 / 3)).toBe('66.67%');
    expect(formatMetricValue('ms', 412)).toBe('412 ms');
    expect(formatMetricValue('count', 3)).toBe('3');
  });
});
