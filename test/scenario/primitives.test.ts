import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { formatPath } from '../../sim/scenario/load-scenario.js';
import { describeInput, duration, fraction, instant, keyAlgorithm, name, numberOrRange, positiveDuration, speed } from '../../sim/scenario/primitives.js';
import { DAY } from '../support/time.js';


/** The value a schema gives for an input, or the messages of its issues. */
function outcome(schema: z.ZodType, input: unknown): { value: unknown } | { messages: string[] } {
  const result = schema.safeParse(input);
  return result.success ? { value: result.data } : { messages: result.error.issues.map((i) => i.message) };
}

describe('describeInput', () => {
  it.each([
    [undefined, 'nothing'],
    [null, 'null'],
    ['fast', '"fast"'],
    ['say "hi"', '"say \\"hi\\""'],
    [[1, 2], 'a list'],
    [{ a: 1 }, 'a mapping'],
    [1.5, '1.5'],
    [true, 'true'],
    [Number.NaN, 'NaN'],
  ])('describes %j as %s', (input, text) => {
    expect(describeInput(input)).toBe(text);
  });
});

describe('formatPath', () => {
  it.each([
    [[], '(top level)'],
    [['name'], 'name'],
    [['fleet', 'cohorts', 2, 'clock', 'driftPpm'], 'fleet.cohorts[2].clock.driftPpm'],
    [['events', 0], 'events[0]'],
    [['pki', 'serverCertificates', 1, 'chain', 0], 'pki.serverCertificates[1].chain[0]'],
  ] as [(string | number)[], string][])('formats %j as %s', (path, text) => {
    expect(formatPath(path)).toBe(text);
  });
});

describe('instant', () => {
  it.each([
    ['2030-01-01T00:00:00Z', Date.UTC(2030, 0, 1)],
    ['2030-01-01', Date.UTC(2030, 0, 1)],
    ['2019-04-06T23:59:42Z', Date.UTC(2019, 3, 6, 23, 59, 42)],
    ['2030-06-15T12:30Z', Date.UTC(2030, 5, 15, 12, 30)],
    ['2030-06-15T12:30:45.5Z', Date.UTC(2030, 5, 15, 12, 30, 45, 500)],
    ['1970-01-01T00:00:00Z', 0],
    ['2028-02-29T00:00:00Z', Date.UTC(2028, 1, 29)],
  ])('reads %s as milliseconds since the epoch', (text, ms) => {
    expect(outcome(instant, text)).toEqual({ value: ms });
  });

  it.each(['2030-01-01T00:00:00', '2030-01-01T00:00:00+00:00', '2030-1-1', '30-01-01', '2030-13-01', '2030-01-32', '2030-01-01T25:00:00Z', 'now', ''])(
    'refuses %j with the UTC hint',
    (text) => {
      expect(outcome(instant, text)).toEqual({ messages: [`expected a UTC time such as "2030-01-01T00:00:00Z", got ${JSON.stringify(text)}`] });
    },
  );

  it.each(['2030-02-30T00:00:00Z', '2029-02-29T00:00:00Z', '2030-04-31'])('refuses the non-existent date %s instead of rolling it over', (text) => {
    expect(outcome(instant, text)).toEqual({ messages: [`expected a UTC time such as "2030-01-01T00:00:00Z", got ${JSON.stringify(text)}`] });
  });

  it('refuses a number with the UTC hint', () => {
    expect(outcome(instant, 1_893_456_000_000)).toEqual({ messages: ['expected a UTC time such as "2030-01-01T00:00:00Z", got 1893456000000'] });
  });
});

describe('duration and positiveDuration', () => {
  it.each([
    ['90d', 90 * DAY],
    ['24h', DAY],
    ['-619315200s', -619_315_200_000],
    ['0s', 0],
  ])('duration reads %s', (text, ms) => {
    expect(outcome(duration, text)).toEqual({ value: ms });
  });

  it('duration refuses a bare number with the duration hint', () => {
    expect(outcome(duration, 90)).toEqual({ messages: ['expected a duration such as "90d", "24h", "30m", "15s" or "-619315200s", got 90'] });
  });

  it.each(['0s', '-1h', '0.0001ms'])('positiveDuration refuses %s', (text) => {
    expect(outcome(positiveDuration, text)).toEqual({ messages: ['expected a duration greater than zero'] });
  });

  it('positiveDuration accepts one millisecond', () => {
    expect(outcome(positiveDuration, '1ms')).toEqual({ value: 1 });
  });
});

describe('fraction', () => {
  it.each([
    [0.8, 0.8],
    [0, 0],
    [1, 1],
    ['80%', 0.8],
    ['100%', 1],
    ['0%', 0],
    ['12.5%', 0.125],
    ['2/3', 2 / 3],
    ['1/1', 1],
    ['0/5', 0],
  ])('reads %j as %d', (input, value) => {
    expect(outcome(fraction, input)).toEqual({ value });
  });

  it.each([[1.5], [-0.1], ['101%'], ['3/2'], ['1/0'], ['-10%'], ['0.8'], ['2 / 3'], ['half']])('refuses %j as outside [0, 1] or unreadable', (input) => {
    expect(outcome(fraction, input)).toEqual({
      messages: [`expected a fraction between 0 and 1 such as 0.8, "80%" or "2/3", got ${describeInput(input)}`],
    });
  });

  it.each([[true], [null], [[0.5]], [Number.NaN]])('refuses %j as neither a number nor a text', (input) => {
    expect(outcome(fraction, input)).toEqual({ messages: [`expected a fraction such as 0.8, "80%" or "2/3", got ${describeInput(input)}`] });
  });
});

describe('speed', () => {
  it.each([
    ['max', Number.POSITIVE_INFINITY],
    ['30d/s', 30 * DAY],
    ['1h/s', 3_600_000],
    ['500ms/s', 500],
  ])('reads %s as %d ms of simulated time per wall second', (text, value) => {
    expect(outcome(speed, text)).toEqual({ value });
  });

  it.each(['fast', 'MAX', '30d', '/s', '0s/s', '-1d/s', '30d/min'])('refuses %j', (text) => {
    expect(outcome(speed, text)).toEqual({ messages: [`expected "max" or a rate such as "30d/s", got ${JSON.stringify(text)}`] });
  });
});

describe('numberOrRange', () => {
  it.each([
    [5, 5],
    [-20, -20],
    [{ min: -20, max: 20 }, { min: -20, max: 20 }],
    [{ min: 3, max: 3 }, { min: 3, max: 3 }],
  ])('accepts %j', (input, value) => {
    expect(outcome(numberOrRange, input)).toEqual({ value });
  });

  it('refuses a range with an extra key as an unknown key (reported by parseScenario as "unknown key")', () => {
    const result = numberOrRange.safeParse({ min: 1, max: 2, mean: 1.5 });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => ({ code: i.code, keys: 'keys' in i ? i.keys : undefined }))).toEqual([{ code: 'unrecognized_keys', keys: ['mean'] }]);
  });

  it('refuses a range with min above max', () => {
    expect(outcome(numberOrRange, { min: 2, max: 1 })).toEqual({ messages: ['expected min <= max'] });
  });

  it.each([['fast'], [{ min: 1 }], [[1, 2]]])('refuses %j with the number-or-range hint', (input) => {
    expect(outcome(numberOrRange, input)).toEqual({ messages: [`expected a number or a range { min, max }, got ${describeInput(input)}`] });
  });
});

describe('name and keyAlgorithm', () => {
  it.each(['root', 'root-g2', 'device.ca_1', '0day'])('accepts the name %s', (text) => {
    expect(outcome(name, text)).toEqual({ value: text });
  });

  it.each(['Root', '-root', 'root ca', 'root/ca', ''])('refuses the name %j', (text) => {
    expect(outcome(name, text)).toEqual({ messages: ['expected a name of lower-case letters, digits, ".", "_" and "-"'] });
  });

  it('refuses a number as a name', () => {
    expect(outcome(name, 7)).toEqual({ messages: ['expected a name, got 7'] });
  });

  it.each(['ec-p256', 'rsa-2048'])('accepts the key algorithm %s', (text) => {
    expect(outcome(keyAlgorithm, text)).toEqual({ value: text });
  });

  it('refuses another key algorithm', () => {
    expect(outcome(keyAlgorithm, 'ed25519')).toEqual({ messages: ['expected "ec-p256", "rsa-2048" or "rsa-1024", got "ed25519"'] });
  });
});
