import { describe, expect, it } from 'vitest';
import { ALL_CAUSES } from '../../sim/causes.js';
import { defineThreshold, type ThresholdProblem, type ThresholdSpec } from '../../sim/thresholds/define-threshold.js';

const COHORTS = ['steady', 'legacy'];

function problemsOf(spec: ThresholdSpec): ThresholdProblem[] {
  const defined = defineThreshold(spec, COHORTS);
  return 'problems' in defined ? defined.problems : [];
}

function thresholdOf(spec: ThresholdSpec) {
  const defined = defineThreshold(spec, COHORTS);
  if ('problems' in defined) throw new Error(defined.problems.map((p) => p.message).join('; '));
  return defined.threshold;
}

const METRIC_LIST =
  'availability.min, availability.final, lockedOut, unrecovered, rotations.attempted, rotations.succeeded, rotations.failed, ' +
  'rotations.successRate, rotation.latency.p50, rotation.latency.p95, rotation.latency.p99, connect.latency.p50, ' +
  'connect.latency.p95, connect.latency.p99, failures, failures[<cause>], failedDevices[<cause>], rotationFailures[<cause>], ' +
  'faults.messagesLost, faults.messagesSent, faults.requestsRefused, faults.requestsDelayed, faults.connectsFailed, ' +
  'faults.devicesAffected, faults.unrecovered, recovery.seconds, harness.lateEpochs, harness.devicesRestarted';

describe('defining a threshold against the metric registry', () => {
  it('turns a percentage check on availability into a share to compare with', () => {
    const t = thresholdOf({ check: 'availability.min >= 99.5%' });
    expect({ name: t.name, metric: t.metric.name, metricText: t.metricText, op: t.op, expected: t.expected }).toEqual({
      name: 'availability.min >= 99.5%',
      metric: 'availability.min',
      metricText: 'availability.min',
      op: '>=',
      expected: 0.995,
    });
  });

  it('turns a duration on a latency into milliseconds', () => {
    expect(thresholdOf({ check: 'rotation.latency.p95 < 2s' }).expected).toBe(2000);
    expect(thresholdOf({ check: 'rotation.latency.p95 < 1500' }).expected).toBe(1500);
  });

  it('reads a cause, and a cause with the judge that reached it', () => {
    expect(thresholdOf({ check: 'failures[expired_root] == 0' }).argument).toEqual({ cause: 'expired_root' });
    expect(thresholdOf({ check: 'failures[broker:expired_leaf] == 0' }).argument).toEqual({ cause: 'expired_leaf', judge: 'broker' });
    expect(thresholdOf({ check: 'failures[broker:expired_leaf] == 0' }).metricText).toBe('failures[broker:expired_leaf]');
  });

  it('names a threshold after its check and cohort unless the scenario names it', () => {
    expect(thresholdOf({ check: 'lockedOut == 0', cohort: 'legacy' }).name).toBe('lockedOut == 0 (cohort legacy)');
    expect(thresholdOf({ check: 'lockedOut == 0', cohort: 'legacy', name: 'no legacy lock-outs' }).name).toBe('no legacy lock-outs');
  });

  it('lists every metric when the name is unknown', () => {
    expect(problemsOf({ check: 'availabilty.min >= 99%' })).toEqual([
      { field: 'check', message: `expected one of ${METRIC_LIST}, got "availabilty.min"` },
    ]);
  });

  it('lists the failure causes when the cause is unknown', () => {
    const causes = ALL_CAUSES.filter((c) => c !== 'ok').join(', ');
    expect(problemsOf({ check: 'failures[expired_rot] == 0' })).toEqual([
      { field: 'check', message: `expected a cause, one of ${causes}, got "expired_rot"` },
    ]);
    expect(problemsOf({ check: 'failedDevices[ok] == 0' })).toEqual([{ field: 'check', message: `expected a cause, one of ${causes}, got "ok"` }]);
  });

  it('refuses an unknown judge before a cause', () => {
    expect(problemsOf({ check: 'failures[server:expired_leaf] == 0' })).toEqual([
      { field: 'check', message: 'expected a judge of device, broker, ca before the cause, got "server"' },
    ]);
  });

  it('refuses a judge where the metric has none: rotation failures are not split by judge', () => {
    expect(problemsOf({ check: 'rotationFailures[device:rotation_timeout] == 0' })[0]?.message).toMatch(
      /^expected a cause, one of .*, got "device:rotation_timeout"$/,
    );
  });

  it('asks for the cause of a metric that needs one', () => {
    expect(problemsOf({ check: 'failedDevices == 0' })).toEqual([
      { field: 'check', message: 'expected a cause in brackets after failedDevices, such as failedDevices[expired_root]' },
    ]);
  });

  it('refuses an argument on a metric that takes none', () => {
    expect(problemsOf({ check: 'lockedOut[expired_root] == 0' })).toEqual([
      { field: 'check', message: 'expected nothing in brackets after lockedOut, got "[expired_root]"' },
    ]);
  });

  it.each([
    ['lockedOut == 5%', 'expected a number for lockedOut, such as 0, got "5%"'],
    ['failures < 2s', 'expected a number for failures, such as 0, got "2s"'],
    ['availability.min >= 99.5', 'expected a percentage for availability.min, such as 99.5%, or a share from 0 to 1, got "99.5"'],
    ['rotations.successRate > 1d', 'expected a percentage for rotations.successRate, such as 99.5%, or a share from 0 to 1, got "1d"'],
    ['rotation.latency.p95 < 5%', 'expected a duration for rotation.latency.p95, such as 2s or 500ms, or a number of milliseconds, got "5%"'],
  ])('refuses "%s", a value in the wrong unit', (check, message) => {
    expect(problemsOf({ check })).toEqual([{ field: 'check', message }]);
  });

  it('refuses a cohort the scenario does not have', () => {
    expect(problemsOf({ check: 'lockedOut == 0', cohort: 'nobody' })).toEqual([
      { field: 'cohort', message: 'expected the name of a cohort in fleet.cohorts, got "nobody"' },
    ]);
  });

  it('refuses a cohort for a metric measured only for the whole fleet', () => {
    expect(problemsOf({ check: 'rotation.latency.p95 < 2s', cohort: 'steady' })).toEqual([
      { field: 'cohort', message: 'expected no cohort: rotation.latency.p95 is measured for the whole fleet only' },
    ]);
  });

  it('reports the check and the cohort together', () => {
    expect(problemsOf({ check: 'failures[nope] == 0', cohort: 'nobody' }).map((p) => p.field)).toEqual(['check', 'cohort']);
  });
});
