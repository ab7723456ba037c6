import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../../sim/scenario/load-scenario.js';
import { scenarioThresholds } from '../../sim/thresholds/define-threshold.js';
import { TINY_SCENARIO } from '../support/tiny-scenario.js';

/** The line the appended `thresholds:` key lands on (TINY_SCENARIO ends with a newline). */
const THRESHOLDS_LINE = TINY_SCENARIO.split('\n').length;

function problemsIn(thresholds: string): readonly string[] {
  try {
    parseScenario(`${TINY_SCENARIO}thresholds:\n${thresholds}`, 'x.yaml');
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems;
    throw error;
  }
  return [];
}

describe('thresholds in a scenario file', () => {
  it('reports a check that does not parse with its line, column and path', () => {
    expect(problemsIn('  - lockedOut == 0\n  - availability >>= 1\n')).toEqual([
      `line ${THRESHOLDS_LINE + 2}, column 5: thresholds[1]: expected a check such as "availability.min >= 99.5%", got "availability >>= 1"`,
    ]);
  });

  it('reports an unknown metric at the first threshold', () => {
    expect(problemsIn('  - lockedout == 0\n')).toEqual([
      expect.stringMatching(
        new RegExp(`^line ${THRESHOLDS_LINE + 1}, column 5: thresholds\\[0\\]: expected one of availability\\.min, .*, got "lockedout"$`),
      ),
    ]);
  });

  it('points at the check and at the cohort of a threshold written as a mapping', () => {
    expect(problemsIn('  - { check: "failures[expired_rot] == 0", cohort: nobody }\n')).toEqual([
      expect.stringMatching(new RegExp(`^line ${THRESHOLDS_LINE + 1}, column 7: thresholds\\[0\\]\\.check: expected a cause, one of .*, got "expired_rot"$`)),
      `line ${THRESHOLDS_LINE + 1}, column 44: thresholds[0].cohort: expected the name of a cohort in fleet.cohorts, got "nobody"`,
    ]);
  });

  it('refuses a cohort on a metric measured for the whole fleet only', () => {
    expect(problemsIn('  - { check: rotation.latency.p95 < 2s, cohort: steady }\n')).toEqual([
      `line ${THRESHOLDS_LINE + 1}, column 41: thresholds[0].cohort: expected no cohort: rotation.latency.p95 is measured for the whole fleet only`,
    ]);
  });

  it('accepts the README example and keeps the thresholds in order', () => {
    const scenario = parseScenario(
      `${TINY_SCENARIO}thresholds:
  - availability.min >= 99.5%          # at every availability sample (daily by default)
  - lockedOut == 0
  - rotation.latency.p95 < 2s
  - failures[expired_root] == 0
  - { check: unrecovered == 0, cohort: steady, name: steady devices all reconnect }
`,
      'x.yaml',
    );
    expect(scenarioThresholds(scenario).map((t) => [t.name, t.metricText, t.op, t.expected])).toEqual([
      ['availability.min >= 99.5%', 'availability.min', '>=', 0.995],
      ['lockedOut == 0', 'lockedOut', '==', 0],
      ['rotation.latency.p95 < 2s', 'rotation.latency.p95', '<', 2000],
      ['failures[expired_root] == 0', 'failures[expired_root]', '==', 0],
      ['steady devices all reconnect', 'unrecovered', '==', 0],
    ]);
  });
});
