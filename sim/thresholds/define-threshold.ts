import { ALL_CAUSES, isCause, type Judge } from '../causes.js';
import type { Scenario } from '../scenario/schema.js';
import { METRICS, metricSpellings, type MetricArgument, type MetricArgumentKind, type MetricDefinition } from './metrics.js';
import { parseThresholdExpression, type Operator, type ThresholdValue } from './threshold-expression.js';

/** A threshold as a scenario or the command line declares it. */
export interface ThresholdSpec {
  check: string;
  cohort?: string | undefined;
  name?: string | undefined;
}

/** A threshold checked against the metric registry, ready to evaluate. */
export interface Threshold {
  /** The declared name, or the check (and cohort) when none was given. */
  name: string;
  check: string;
  cohort?: string;
  metric: MetricDefinition;
  argument?: MetricArgument;
  /** The metric as written, with its argument: "failures[expired_root]". */
  metricText: string;
  op: Operator;
  /** In the metric's unit: a share (0.995), milliseconds or a count. */
  expected: number;
}

/** What is wrong with a threshold, and in which of its fields. */
export interface ThresholdProblem {
  field: 'check' | 'cohort';
  message: string;
}

const JUDGES: readonly Judge[] = ['device', 'broker', 'ca'];
const FAILURE_CAUSES = ALL_CAUSES.filter((c) => c !== 'ok');

/**
 * Checks a threshold against the metric registry, the causes and the scenario's cohorts. Returns every problem
 * found, each in the scenario's "expected ..., got ..." style.
 */
export function defineThreshold(spec: ThresholdSpec, cohorts: readonly string[]): { threshold: Threshold } | { problems: ThresholdProblem[] } {
  const problems: ThresholdProblem[] = [];
  const parsed = parseThresholdExpression(spec.check);
  if ('problem' in parsed) problems.push({ field: 'check', message: parsed.problem });
  const expression = 'expression' in parsed ? parsed.expression : undefined;
  const metric = expression ? METRICS.get(expression.metric) : undefined;
  if (expression && !metric) {
    problems.push({ field: 'check', message: `expected one of ${metricSpellings().join(', ')}, got ${JSON.stringify(expression.metric)}` });
  }
  let argument: MetricArgument | undefined;
  if (expression && metric) {
    const read = readArgument(metric, expression.argument);
    if ('problem' in read) problems.push({ field: 'check', message: read.problem });
    else argument = read.argument;
    const unitProblem = checkUnit(metric, expression.value);
    if (unitProblem) problems.push({ field: 'check', message: unitProblem });
  }
  if (spec.cohort !== undefined) {
    if (!cohorts.includes(spec.cohort)) {
      problems.push({ field: 'cohort', message: `expected the name of a cohort in fleet.cohorts, got ${JSON.stringify(spec.cohort)}` });
    } else if (metric && !metric.perCohort) {
      problems.push({ field: 'cohort', message: `expected no cohort: ${metric.name} is measured for the whole fleet only` });
    }
  }
  if (problems.length > 0 || !expression || !metric) return { problems };
  return {
    threshold: {
      name: spec.name ?? defaultThresholdName(spec.check, spec.cohort),
      check: spec.check.trim(),
      ...(spec.cohort !== undefined ? { cohort: spec.cohort } : {}),
      metric,
      ...(argument ? { argument } : {}),
      metricText: expression.argument === undefined ? metric.name : `${metric.name}[${expression.argument}]`,
      op: expression.op,
      expected: expression.value.value,
    },
  };
}

/** The name a threshold goes by when the scenario gives none. */
export function defaultThresholdName(check: string, cohort: string | undefined): string {
  return cohort === undefined ? check.trim() : `${check.trim()} (cohort ${cohort})`;
}

/** A scenario's `thresholds` entry (a check, or `{ check, cohort, name }`) as a spec. */
export function toThresholdSpec(entry: Scenario['thresholds'][number]): ThresholdSpec {
  return typeof entry === 'string' ? { check: entry } : entry;
}

/** A validated scenario's thresholds. Problems were reported when it was loaded, so one here is a bug. */
export function scenarioThresholds(scenario: Scenario): Threshold[] {
  const cohorts = scenario.fleet.cohorts.map((c) => c.name);
  return scenario.thresholds.map((entry, i) => {
    const defined = defineThreshold(toThresholdSpec(entry), cohorts);
    if ('problems' in defined) throw new Error(`thresholds[${i}] was not validated: ${defined.problems.map((p) => p.message).join('; ')}`);
    return defined.threshold;
  });
}

function readArgument(metric: MetricDefinition, text: string | undefined): { argument?: MetricArgument } | { problem: string } {
  const kind: MetricArgumentKind = metric.argument;
  if (text === undefined) {
    if (kind === 'none' || kind === 'optional-judged-cause') return {};
    return { problem: `expected a cause in brackets after ${metric.name}, such as ${metric.name}[expired_root]` };
  }
  if (kind === 'none') return { problem: `expected nothing in brackets after ${metric.name}, got ${JSON.stringify(`[${text}]`)}` };
  const colon = text.indexOf(':');
  const judge = kind !== 'cause' && colon >= 0 ? text.slice(0, colon) : undefined;
  const cause = judge === undefined ? text : text.slice(colon + 1);
  if (judge !== undefined && !(JUDGES as readonly string[]).includes(judge)) {
    return { problem: `expected a judge of ${JUDGES.join(', ')} before the cause, got ${JSON.stringify(judge)}` };
  }
  if (!isCause(cause) || cause === 'ok') {
    return { problem: `expected a cause, one of ${FAILURE_CAUSES.join(', ')}, got ${JSON.stringify(cause)}` };
  }
  return { argument: { cause, ...(judge !== undefined ? { judge: judge as Judge } : {}) } };
}

/** The value must be written in the metric's unit: a percentage for a share, a duration for a latency. */
function checkUnit(metric: MetricDefinition, value: ThresholdValue): string | undefined {
  const got = `got ${JSON.stringify(value.text)}`;
  switch (metric.unit) {
    case 'share':
      if (value.kind === 'percentage' || (value.kind === 'number' && value.value >= 0 && value.value <= 1)) return undefined;
      return `expected a percentage for ${metric.name}, such as 99.5%, or a share from 0 to 1, ${got}`;
    case 'ms':
      if (value.kind === 'duration' || value.kind === 'number') return undefined;
      return `expected a duration for ${metric.name}, such as 2s or 500ms, or a number of milliseconds, ${got}`;
    case 'count':
      if (value.kind === 'number') return undefined;
      return `expected a number for ${metric.name}, such as 0, ${got}`;
  }
}
