import type { RunSummary } from '../results/run-summary.js';
import { defaultThresholdName, type Threshold } from './define-threshold.js';
import { formatMetricValue, type MetricSource, type MetricUnit } from './metrics.js';
import { compare, type Operator } from './threshold-expression.js';

/** One threshold's verdict, as written to summary.json. */
export interface ThresholdResult {
  name: string;
  check: string;
  cohort?: string;
  /** The metric with its argument: "failures[expired_root]". */
  metric: string;
  unit: MetricUnit;
  op: Operator;
  /** In the metric's unit: a share (0.995 for "99.5%"), milliseconds ("2s" is 2000) or a count. */
  expected: number;
  /** null when the run measured nothing the metric applies to (no sample, no rotation); the threshold then fails. */
  actual: number | null;
  passed: boolean;
  /** The run stopped early: the verdict is on the part of the timeline it reached. */
  partial?: true;
}

/** What summary.json holds: the run's numbers and the verdict of every threshold on them. */
export type JudgedRunSummary = RunSummary & Judgement;

/**
 * The verdicts, whether all held, and whether anything was gated at all: a run with no thresholds "passes" only in
 * the sense that nothing was checked, and says so.
 */
export interface Judgement {
  thresholds: ThresholdResult[];
  thresholdsPassed: boolean;
  gated: boolean;
}

/** Evaluates every threshold against a run's final summary. A partial run is evaluated too, and says so. */
export function evaluateThresholds(thresholds: readonly Threshold[], summary: MetricSource & Pick<RunSummary, 'complete'>): ThresholdResult[] {
  return thresholds.map((t) => {
    const actual = t.metric.extract(summary, { argument: t.argument, cohort: t.cohort }) ?? null;
    return {
      name: t.name,
      check: t.check,
      ...(t.cohort !== undefined ? { cohort: t.cohort } : {}),
      metric: t.metricText,
      unit: t.metric.unit,
      op: t.op,
      expected: t.expected,
      actual,
      passed: actual !== null && compare(actual, t.op, t.expected),
      ...(summary.complete ? {} : { partial: true as const }),
    };
  });
}

/** The summary with every threshold's verdict, and whether all passed (true when there are none). */
export function judgeSummary<S extends MetricSource & Pick<RunSummary, 'complete'>>(
  summary: S,
  thresholds: readonly Threshold[],
): S & Judgement {
  const results = evaluateThresholds(thresholds, summary);
  return { ...summary, thresholds: results, thresholdsPassed: results.every((r) => r.passed), gated: results.length > 0 };
}

/** "availability.min >= 99.5% (actual 99.8%)", with the name first when the scenario gave one. */
export function describeThresholdResult(result: ThresholdResult): string {
  const check = `${result.check}${result.cohort !== undefined ? ` in cohort ${result.cohort}` : ''}`;
  const named = result.name === defaultThresholdName(result.check, result.cohort) ? check : `${result.name}: ${check}`;
  return `${named} (${formatActual(result)})`;
}

/** "actual 99.8%", or "no data" when the run measured nothing the metric applies to. */
export function formatActual(result: ThresholdResult): string {
  return result.actual === null ? 'no data' : `actual ${formatMetricValue(result.unit, result.actual)}`;
}
