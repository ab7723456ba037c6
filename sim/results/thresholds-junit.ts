import { formatActual, type ThresholdResult } from '../thresholds/evaluate-thresholds.js';
import { formatMetricValue } from '../thresholds/metrics.js';
import { renderJunitXml, type JunitTestCase } from './junit-xml.js';
import type { RunSummary } from './run-summary.js';

/** What junit.xml is made of: the run's identity and extent, and the threshold verdicts. */
export type JunitSource = Pick<RunSummary, 'scenario' | 'seed' | 'devices' | 'complete' | 'interruption' | 'timeline' | 'wall'> & {
  thresholds: ThresholdResult[];
};

/**
 * A run's thresholds as junit.xml, so a CI pipeline shows each one as a test. A threshold that held on a partial
 * run is reported as skipped, not passed: the part of the timeline that was not run could still have broken it.
 */
export function renderThresholdsJunit(summary: JunitSource): string {
  const stoppedEarly = summary.complete
    ? undefined
    : `the run stopped early at ${summary.timeline.reached}${summary.interruption ? ` (${summary.interruption})` : ''}`;
  return renderJunitXml({
    name: `certfleet ${summary.scenario}`,
    timeSeconds: summary.wall.seconds,
    properties: {
      scenario: summary.scenario,
      seed: String(summary.seed),
      devices: String(summary.devices),
      complete: String(summary.complete),
      reached: summary.timeline.reached,
    },
    cases: summary.thresholds.map((r) => testCase(r, stoppedEarly)),
  });
}

function testCase(result: ThresholdResult, stoppedEarly: string | undefined): JunitTestCase {
  const base = { classname: 'thresholds', name: result.name };
  if (result.passed) {
    return stoppedEarly === undefined ? base : { ...base, skipped: { message: `${stoppedEarly}; the threshold held until then` } };
  }
  const expected = `${result.metric} ${result.op} ${formatMetricValue(result.unit, result.expected)}`;
  const details = [
    `check: ${result.check}`,
    ...(result.cohort !== undefined ? [`cohort: ${result.cohort}`] : []),
    `expected: ${expected}`,
    `actual: ${result.actual === null ? 'no data (the run measured nothing this metric applies to)' : formatMetricValue(result.unit, result.actual)}`,
    ...(stoppedEarly !== undefined ? [`note: ${stoppedEarly}`] : []),
  ];
  return {
    ...base,
    failure: { message: `expected ${expected}, ${formatActual(result)}`, type: 'threshold', details: details.join('\n') },
  };
}
