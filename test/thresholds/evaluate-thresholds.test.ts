import { describe, expect, it } from 'vitest';
import { defineThreshold, type Threshold, type ThresholdSpec } from '../../sim/thresholds/define-threshold.js';
import { describeThresholdResult, evaluateThresholds, judgeSummary } from '../../sim/thresholds/evaluate-thresholds.js';
import { emptySummary, sampleSummary, type SampleSummary } from './sample-summary.js';

function thresholds(...specs: (string | ThresholdSpec)[]): Threshold[] {
  return specs.map((spec) => {
    const defined = defineThreshold(typeof spec === 'string' ? { check: spec } : spec, ['steady', 'legacy']);
    if ('problems' in defined) throw new Error(defined.problems.map((p) => p.message).join('; '));
    return defined.threshold;
  });
}

function passed(check: string | ThresholdSpec, summary: SampleSummary = sampleSummary()): boolean | undefined {
  return evaluateThresholds(thresholds(check), summary)[0]?.passed;
}

describe('evaluating thresholds against a run summary', () => {
  // The sample has 1 locked-out device, 8 of 10 rotations succeeded, rotation p95 1500 ms and p99 2500 ms.
  it.each<[string, boolean]>([
    ['lockedOut < 2', true],
    ['lockedOut < 1', false],
    ['lockedOut <= 1', true],
    ['lockedOut <= 0', false],
    ['lockedOut > 0', true],
    ['lockedOut > 1', false],
    ['lockedOut >= 1', true],
    ['lockedOut >= 2', false],
    ['lockedOut == 1', true],
    ['lockedOut == 0', false],
    ['lockedOut != 0', true],
    ['lockedOut != 1', false],
  ])('"%s" passes: %s', (check, expected) => {
    expect(passed(check)).toBe(expected);
  });

  it.each<[string, boolean]>([
    ['rotations.successRate >= 80%', true],
    ['rotations.successRate > 80%', false],
    ['rotations.successRate >= 0.8', true],
    ['availability.min >= 33.33%', true],
    ['availability.min >= 33.34%', false],
    ['availability.final == 83.33%', true],
    ['availability.min >= 99.5%', false],
  ])('compares shares with percentages: "%s" passes: %s', (check, expected) => {
    expect(passed(check)).toBe(expected);
  });

  it.each<[string, boolean]>([
    ['rotation.latency.p95 < 2s', true],
    ['rotation.latency.p99 < 2s', false],
    ['rotation.latency.p95 <= 1500ms', true],
    ['rotation.latency.p95 < 1500', false],
    ['connect.latency.p99 < 0.1s', true],
  ])('compares latencies with durations: "%s" passes: %s', (check, expected) => {
    expect(passed(check)).toBe(expected);
  });

  it('scopes a check to a cohort', () => {
    expect(passed({ check: 'lockedOut == 0', cohort: 'steady' })).toBe(true);
    expect(passed({ check: 'lockedOut == 0', cohort: 'legacy' })).toBe(false);
    expect(passed({ check: 'availability.min >= 50%', cohort: 'steady' })).toBe(true);
  });

  it('writes what was checked, what was expected and what was measured', () => {
    expect(evaluateThresholds(thresholds({ check: 'failures[expired_root] == 0', cohort: 'legacy', name: 'no expired root' }), sampleSummary())).toEqual([
      {
        name: 'no expired root',
        check: 'failures[expired_root] == 0',
        cohort: 'legacy',
        metric: 'failures[expired_root]',
        unit: 'count',
        op: '==',
        expected: 0,
        actual: 5,
        passed: false,
      },
    ]);
  });

  it('fails a threshold on a metric the run did not measure, with no actual value', () => {
    const [result] = evaluateThresholds(thresholds('rotation.latency.p95 < 2s'), emptySummary());
    expect(result).toMatchObject({ actual: null, passed: false });
  });

  it('evaluates a partial run and marks every result as partial', () => {
    const results = evaluateThresholds(thresholds('lockedOut <= 1', 'lockedOut == 0'), { ...sampleSummary(), complete: false });
    expect(results.map((r) => [r.passed, r.partial])).toEqual([
      [true, true],
      [false, true],
    ]);
  });

  it('passes the run when every threshold passes, and when there are none', () => {
    expect(judgeSummary(sampleSummary(), thresholds('lockedOut <= 1', 'failures[revoked] == 0')).thresholdsPassed).toBe(true);
    expect(judgeSummary(sampleSummary(), thresholds('lockedOut <= 1', 'lockedOut == 0')).thresholdsPassed).toBe(false);
    expect(judgeSummary(sampleSummary(), [])).toMatchObject({ thresholds: [], thresholdsPassed: true });
  });

  it('describes a result the way the command line prints it', () => {
    const [plain, named, cohort, missing] = evaluateThresholds(
      thresholds(
        'availability.final >= 80%',
        { check: 'rotation.latency.p95 < 2s', name: 'fast rotations' },
        { check: 'lockedOut == 0', cohort: 'legacy' },
        'availability.min >= 99%',
      ),
      { ...sampleSummary(), availability: { samples: [], lowest: undefined, final: undefined } },
    );
    expect(plain && describeThresholdResult(plain)).toBe('availability.final >= 80% (no data)');
    expect(named && describeThresholdResult(named)).toBe('fast rotations: rotation.latency.p95 < 2s (actual 1500 ms)');
    expect(cohort && describeThresholdResult(cohort)).toBe('lockedOut == 0 in cohort legacy (actual 1)');
    expect(missing && describeThresholdResult(missing)).toBe('availability.min >= 99% (no data)');
    const [share] = evaluateThresholds(thresholds('availability.final >= 80%'), sampleSummary());
    expect(share && describeThresholdResult(share)).toBe('availability.final >= 80% (actual 83.33%)');
  });
});
