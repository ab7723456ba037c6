import { describe, expect, it } from 'vitest';
import { compare, parseThresholdExpression, parseThresholdValue, type Operator } from '../../sim/thresholds/threshold-expression.js';

function expressionOf(check: string) {
  const parsed = parseThresholdExpression(check);
  if (!('expression' in parsed)) throw new Error(`expected ${check} to parse: ${parsed.problem}`);
  return parsed.expression;
}

describe('threshold checks', () => {
  it.each<[string, Operator]>([
    ['lockedOut < 1', '<'],
    ['lockedOut <= 1', '<='],
    ['lockedOut > 1', '>'],
    ['lockedOut >= 1', '>='],
    ['lockedOut == 1', '=='],
    ['lockedOut != 1', '!='],
  ])('"%s" reads the operator %s', (check, op) => {
    expect(expressionOf(check)).toEqual({ metric: 'lockedOut', op, value: { kind: 'number', value: 1, text: '1' } });
  });

  it('reads a bracketed argument after the metric name', () => {
    expect(expressionOf('failures[expired_root] == 0')).toEqual({
      metric: 'failures',
      argument: 'expired_root',
      op: '==',
      value: { kind: 'number', value: 0, text: '0' },
    });
  });

  it('keeps a judge-qualified argument whole for the metric registry to judge', () => {
    expect(expressionOf('failedDevices[broker:expired_leaf] <= 2').argument).toBe('broker:expired_leaf');
  });

  it('needs no spaces around the operator and ignores spaces around the check', () => {
    expect(expressionOf('  lockedOut==0 ')).toEqual({ metric: 'lockedOut', op: '==', value: { kind: 'number', value: 0, text: '0' } });
  });

  it('reads a percentage as a share', () => {
    expect(expressionOf('availability.min >= 99.5%').value).toEqual({ kind: 'percentage', value: 0.995, text: '99.5%' });
  });

  it('reads "99.57%" as the same number the summary holds for 9957 of 10000 devices', () => {
    expect(parseThresholdValue('99.57%')?.value).toBe(Math.round(0.9957 * 10_000) / 10_000);
    expect(parseThresholdValue('100%')?.value).toBe(1);
  });

  it.each([
    ['2s', 2000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['1m', 60_000],
  ])('reads the duration %s as %d ms', (text, ms) => {
    expect(parseThresholdValue(text)).toEqual({ kind: 'duration', value: ms, text });
  });

  it('reads plain numbers, negative and fractional', () => {
    expect(parseThresholdValue('-3')).toEqual({ kind: 'number', value: -3, text: '-3' });
    expect(parseThresholdValue('0.25')).toEqual({ kind: 'number', value: 0.25, text: '0.25' });
  });

  it.each([
    'availability >>= 1',
    'lockedOut',
    'lockedOut ==',
    'lockedOut = 0',
    'lockedOut == zero',
    '== 0',
    'lockedOut == 0 devices',
    'lockedOut =< 0',
    'failures[expired root] == 0',
    '',
  ])('refuses %j with an example of a check', (check) => {
    expect(parseThresholdExpression(check)).toEqual({
      problem: `expected a check such as "availability.min >= 99.5%", got ${JSON.stringify(check)}`,
    });
  });

  it('gives the exact message for an operator typed twice', () => {
    expect(parseThresholdExpression('availability >>= 1')).toEqual({
      problem: 'expected a check such as "availability.min >= 99.5%", got "availability >>= 1"',
    });
  });
});

describe('comparing an actual value with the expected one', () => {
  it.each<[number, Operator, number, boolean]>([
    [1, '<', 2, true],
    [2, '<', 2, false],
    [2, '<=', 2, true],
    [3, '<=', 2, false],
    [3, '>', 2, true],
    [2, '>', 2, false],
    [2, '>=', 2, true],
    [1, '>=', 2, false],
    [2, '==', 2, true],
    [1, '==', 2, false],
    [1, '!=', 2, true],
    [2, '!=', 2, false],
  ])('%d %s %d is %s', (actual, op, expected, result) => {
    expect(compare(actual, op, expected)).toBe(result);
  });
});
