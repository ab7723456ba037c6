import { parseDuration } from '../time/duration.js';

/** The comparison operators a check may use. */
export const OPERATORS = ['<', '<=', '>', '>=', '==', '!='] as const;
export type Operator = (typeof OPERATORS)[number];

/**
 * The value a check compares against, as written: a plain number, a percentage ("99.5%") or a duration ("2s").
 * Which kinds a metric accepts depends on its unit, so the kind is kept and judged by the metric registry.
 */
export type ThresholdValue =
  | { kind: 'number'; value: number; text: string }
  | { kind: 'percentage'; value: number; text: string }
  | { kind: 'duration'; value: number; text: string };

/** A check such as `failures[expired_root] == 0`, split into its parts but not yet checked against the metrics. */
export interface ThresholdExpression {
  /** The metric name before any bracket: "failures". */
  metric: string;
  /** The bracketed argument, if any: "expired_root". */
  argument?: string;
  op: Operator;
  value: ThresholdValue;
}

export const CHECK_EXAMPLE = '"availability.min >= 99.5%"';

// <metric>[<argument>] <op> <value>; longer operators first so "<=" is not read as "<" followed by "=1".
const CHECK = /^\s*([A-Za-z][A-Za-z0-9_.]*)(?:\[([^\]\s]*)\])?\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$/;
const NUMBER = /^-?\d+(?:\.\d+)?$/;
const PERCENTAGE = /^(-?\d+(?:\.\d+)?)%$/;

/** Parses a check; returns a message in the scenario's "expected ..., got ..." style when it is not one. */
export function parseThresholdExpression(check: string): { expression: ThresholdExpression } | { problem: string } {
  const match = CHECK.exec(check);
  const value = match?.[4] === undefined ? undefined : parseThresholdValue(match[4]);
  if (!match || value === undefined) {
    return { problem: `expected a check such as ${CHECK_EXAMPLE}, got ${JSON.stringify(check)}` };
  }
  const [, metric, argument, op] = match as unknown as [string, string, string | undefined, Operator];
  return { expression: { metric, ...(argument !== undefined ? { argument } : {}), op, value } };
}

/** "99.5%" -> 0.995, "2s" -> 2000 (ms), "3" -> 3; undefined when the text is none of these. */
export function parseThresholdValue(text: string): ThresholdValue | undefined {
  if (NUMBER.test(text)) return { kind: 'number', value: Number(text), text };
  const percentage = PERCENTAGE.exec(text);
  // Shifting the exponent in the text ("99.57e-2") gives the double nearest to the share itself, the same one
  // the summary holds for 9957/10000; dividing 99.57 by 100 can land one unit in the last place away.
  if (percentage?.[1] !== undefined) return { kind: 'percentage', value: Number(`${percentage[1]}e-2`), text };
  const ms = parseDuration(text);
  if (ms !== undefined) return { kind: 'duration', value: ms, text };
  return undefined;
}

/** Applies the operator: `actual <op> expected`. */
export function compare(actual: number, op: Operator, expected: number): boolean {
  switch (op) {
    case '<':
      return actual < expected;
    case '<=':
      return actual <= expected;
    case '>':
      return actual > expected;
    case '>=':
      return actual >= expected;
    case '==':
      return actual === expected;
    case '!=':
      return actual !== expected;
  }
}
