import { describe, expect, it } from 'vitest';
import { formatDuration, MS_PER_DAY, MS_PER_HOUR, parseDuration } from '../../sim/time/duration.js';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['15s', 15_000],
    ['30m', 1_800_000],
    ['24h', 86_400_000],
    ['1.5h', 5_400_000],
    ['90d', 7_776_000_000],
    ['2w', 1_209_600_000],
    ['1mo', 2_592_000_000],
    ['1y', 31_536_000_000],
    ['-619315200s', -619_315_200_000],
    ['0s', 0],
    ['  6h  ', 21_600_000],
    ['0.5ms', 1],
    ['0.4ms', 0],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '90', 'd', '90 d', '90days', '+5s', '1e3s', '.5h', '5H', '1h30m', '-', 'never', '5s '.repeat(2)])('returns undefined for %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('a year is 365 days and a month 30 days, not calendar lengths', () => {
    expect(parseDuration('1y')).toBe(365 * MS_PER_DAY);
    expect(parseDuration('1mo')).toBe(30 * MS_PER_DAY);
  });

  it('the GPS week rollover of 1024 weeks is -619315200 s', () => {
    expect(parseDuration('-619315200s')).toBe(-(parseDuration('1024w') ?? 0));
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [1_500, '1500ms'],
    [1, '1ms'],
    [15_000, '15s'],
    [90_000, '90s'],
    [1_800_000, '30m'],
    [36 * MS_PER_HOUR, '36h'],
    [MS_PER_DAY, '1d'],
    [90 * MS_PER_DAY, '90d'],
    [7 * MS_PER_DAY, '7d'],
    [365 * MS_PER_DAY, '365d'],
    [-619_315_200_000, '-7168d'],
    [-MS_PER_HOUR, '-1h'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([0, 1, 999, 1_000, 61_000, 3_600_000, 5_400_000, 86_400_000, 86_400_001, 7_776_000_000, -619_315_200_000, -250])(
    'parseDuration reads back what formatDuration writes for %d ms',
    (ms) => {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    },
  );
});
