import { describe, expect, it } from 'vitest';
import { DeviceClock, type ClockModel } from '../../sim/time/device-clock.js';
import { DAY, HOUR, MINUTE } from '../support/time.js';

const T = (iso: string): number => {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new RangeError(iso);
  return t;
};

const SECOND = 1_000;
const YEAR = 365 * DAY;
const START = T('2030-01-01T00:00:00Z');
/** 1024 GPS weeks: what a receiver with a 10-bit week number jumps back at a rollover. */
const GPS_ROLLOVER_MS = -619_315_200_000;
const GPS_ROLLOVER_AT = T('2019-04-06T23:59:42Z');
const START_2019 = T('2019-01-01T00:00:00Z');

const model = (m: Partial<ClockModel> = {}): ClockModel => ({ offsetMs: 0, driftPpm: 0, jumps: [], ...m });
const clock = (m: Partial<ClockModel> = {}, start = START): DeviceClock => new DeviceClock(model(m), start);
const booted = (m: Partial<ClockModel>, at = START): DeviceClock => {
  const c = clock(m);
  c.boot(at);
  return c;
};

describe('DeviceClock.read and skew: offset and drift', () => {
  it('a perfect clock reads true time from the start on', () => {
    const c = clock();
    expect([c.read(START), c.read(START + HOUR), c.read(START + YEAR)]).toEqual([START, START + HOUR, START + YEAR]);
  });

  it.each([
    [5 * SECOND, 'ahead'],
    [-3 * MINUTE, 'behind'],
  ])('an offset of %d ms keeps the clock that far %s at every time', (offsetMs) => {
    const c = clock({ offsetMs });
    for (const t of [START, START + 1, START + DAY, START + YEAR]) expect(c.skew(t)).toBe(offsetMs);
  });

  it('1 ppm of drift gains 86.4 ms a day', () => {
    expect(clock({ driftPpm: 1 }).skew(START + DAY)).toBeCloseTo(86.4, 3);
  });

  it.each([
    [20, 630_720],
    [-20, -630_720],
    [0.5, 15_768],
  ])('%d ppm over a 365-day year moves the clock by %d ms', (driftPpm, skewMs) => {
    expect(clock({ driftPpm }).skew(START + YEAR)).toBeCloseTo(skewMs, 3);
  });

  it('drift and offset add up: +1 s and +10 ppm read 1.864 s ahead after a day', () => {
    expect(clock({ offsetMs: SECOND, driftPpm: 10 }).skew(START + DAY)).toBeCloseTo(1_864, 3);
  });

  it('skew is the reading minus true time, negative when the clock is behind', () => {
    const c = clock({ offsetMs: -2 * SECOND, driftPpm: -20 });
    const t = START + 10 * DAY;
    expect(c.skew(t)).toBe(c.read(t) - t);
    expect(c.skew(t)).toBeLessThan(-2 * SECOND);
  });
});

describe('DeviceClock boots', () => {
  it('a clock that boots at 1970 reads 1970 until the sync arrives, then true time plus its offset', () => {
    const c = booted({ offsetMs: 250, boot: { resetTo: 0, syncAfterMs: 2 * HOUR } });
    expect(c.read(START)).toBe(0);
    expect(c.read(START + HOUR)).toBe(HOUR);
    expect(c.read(START + 2 * HOUR - 1)).toBe(2 * HOUR - 1);
    expect(c.read(START + 2 * HOUR)).toBe(START + 2 * HOUR + 250);
    expect(c.skew(START + 30 * DAY)).toBe(250);
  });

  it('a clock reset to its firmware build time runs from there at its drift rate', () => {
    const build = T('2028-03-01T00:00:00Z');
    const c = booted({ driftPpm: 100, boot: { resetTo: build, syncAfterMs: DAY } });
    expect(c.read(START + HOUR)).toBeCloseTo(build + HOUR * 1.0001, 3);
  });

  it('a clock that boots at 1970 with no sync ever reads 1970 plus the time since boot for ever', () => {
    const c = booted({ boot: { resetTo: 0 } });
    expect(c.read(START + YEAR)).toBe(YEAR);
    expect(c.skew(START + YEAR)).toBe(-START);
  });

  it('a boot later in the run resets the clock at that time, not before', () => {
    const c = clock({ boot: { resetTo: 0, syncAfterMs: HOUR } });
    c.boot(START);
    c.boot(START + 10 * DAY);
    expect(c.read(START + 10 * DAY - 1)).toBe(START + 10 * DAY - 1);
    expect(c.read(START + 10 * DAY + MINUTE)).toBe(MINUTE);
    expect(c.read(START + 10 * DAY + HOUR)).toBe(START + 10 * DAY + HOUR);
  });

  it('a second boot cuts a pending sync short: the clock stays in 1970 until the second boot\'s own sync', () => {
    const c = clock({ boot: { resetTo: 0, syncAfterMs: 2 * HOUR } });
    c.boot(START);
    c.boot(START + HOUR);
    // The first boot's sync (START + 2h) never happens.
    expect(c.read(START + 2 * HOUR)).toBe(HOUR);
    expect(c.read(START + 3 * HOUR - 1)).toBe(2 * HOUR - 1);
    expect(c.read(START + 3 * HOUR)).toBe(START + 3 * HOUR);
  });

  it('a second boot exactly at the pending sync time resets the clock again', () => {
    const c = clock({ boot: { resetTo: 0, syncAfterMs: 2 * HOUR } });
    c.boot(START);
    c.boot(START + 2 * HOUR);
    expect(c.read(START + 2 * HOUR)).toBe(0);
    expect(c.read(START + 4 * HOUR)).toBe(START + 4 * HOUR);
  });

  it('a model without boot behaviour keeps its time across a boot (a battery-backed clock)', () => {
    const c = clock({ offsetMs: 7 });
    c.boot(START + DAY);
    expect(c.read(START + DAY + HOUR)).toBe(START + DAY + HOUR + 7);
  });

  it('boots recorded out of time order are refused', () => {
    const c = clock({ boot: { resetTo: 0 } });
    c.boot(START + DAY);
    expect(() => c.boot(START)).toThrow(RangeError);
  });
});

describe('DeviceClock periodic sync (syncEveryMs)', () => {
  it('a daily sync resets the drift: +20 ppm is 1.728 s ahead just before the sync and exact at it', () => {
    const c = clock({ driftPpm: 20, syncEveryMs: DAY });
    expect(c.skew(START + DAY - 1)).toBeCloseTo(1_728, 3);
    expect(c.skew(START + DAY)).toBe(0);
    expect(c.skew(START + DAY + 12 * HOUR)).toBeCloseTo(864, 3);
    expect(c.skew(START + 200 * DAY + 12 * HOUR)).toBeCloseTo(864, 3);
  });

  it('a sync sets the clock to true time plus the offset, so the offset survives it', () => {
    const c = clock({ offsetMs: -2 * SECOND, driftPpm: 20, syncEveryMs: DAY });
    expect(c.skew(START + 3 * DAY)).toBe(-2 * SECOND);
  });

  it('the next periodic sync rescues a clock reset to 1970 by a boot', () => {
    const c = booted({ syncEveryMs: DAY, boot: { resetTo: 0 } }, START + HOUR);
    expect(c.read(START + 23 * HOUR)).toBe(22 * HOUR);
    expect(c.read(START + DAY)).toBe(START + DAY);
  });

  it('a boot exactly at a periodic sync time wins over the sync', () => {
    const c = booted({ syncEveryMs: DAY, boot: { resetTo: 0 } }, START + DAY);
    expect(c.read(START + DAY)).toBe(0);
    expect(c.read(START + 2 * DAY)).toBe(START + 2 * DAY);
  });
});

describe('DeviceClock jumps', () => {
  it('a GPS week rollover at 2019-04-06T23:59:42Z throws the clock back to 1999-08-21T23:59:42Z', () => {
    const c = clock({ jumps: [{ at: GPS_ROLLOVER_AT, byMs: GPS_ROLLOVER_MS }] }, START_2019);
    expect(c.read(GPS_ROLLOVER_AT - 1)).toBe(GPS_ROLLOVER_AT - 1);
    expect(c.read(GPS_ROLLOVER_AT)).toBe(T('1999-08-21T23:59:42Z'));
    expect(c.read(GPS_ROLLOVER_AT + DAY)).toBe(T('1999-08-22T23:59:42Z'));
    expect(c.skew(GPS_ROLLOVER_AT + YEAR)).toBe(GPS_ROLLOVER_MS);
  });

  it('a periodic sync undoes a jump at the next sync time', () => {
    const c = clock({ syncEveryMs: DAY, jumps: [{ at: GPS_ROLLOVER_AT, byMs: GPS_ROLLOVER_MS }] }, START_2019);
    const nextSync = T('2019-04-07T00:00:00Z');
    expect(c.skew(nextSync - 1)).toBe(GPS_ROLLOVER_MS);
    expect(c.skew(nextSync)).toBe(0);
  });

  it('jumps listed out of order are applied in time order and add up', () => {
    const c = clock({
      jumps: [
        { at: START + 2 * DAY, byMs: -30 * MINUTE },
        { at: START + DAY, byMs: HOUR },
      ],
    });
    expect(c.skew(START + DAY - 1)).toBe(0);
    expect(c.skew(START + DAY)).toBe(HOUR);
    expect(c.skew(START + 2 * DAY)).toBe(30 * MINUTE);
  });

  it('a jump after a boot reset moves the 1970 reading too', () => {
    const c = booted({ boot: { resetTo: 0 }, jumps: [{ at: START + HOUR, byMs: 10 * MINUTE }] });
    expect(c.read(START + 2 * HOUR)).toBe(2 * HOUR + 10 * MINUTE);
  });
});

describe('DeviceClock.nextChangeAfter', () => {
  it('a clock that only runs never changes otherwise', () => {
    expect(clock({ offsetMs: 5, driftPpm: 20 }).nextChangeAfter(START)).toBeUndefined();
  });

  it.each([
    [START, START + DAY],
    [START + DAY - 1, START + DAY],
    [START + DAY, START + 2 * DAY],
    [START + 10 * DAY + 1, START + 11 * DAY],
  ])('with a daily sync, the next change after %d is the sync at %d (strictly after)', (t, next) => {
    expect(clock({ syncEveryMs: DAY }).nextChangeAfter(t)).toBe(next);
  });

  it('the earliest of a jump, a boot sync and a periodic sync is the next change', () => {
    const c = booted({ syncEveryMs: DAY, boot: { resetTo: 0, syncAfterMs: 2 * HOUR }, jumps: [{ at: START + 5 * HOUR, byMs: HOUR }] }, START + 3 * HOUR);
    expect(c.nextChangeAfter(START + 2 * HOUR)).toBe(START + 3 * HOUR);
    expect(c.nextChangeAfter(START + 3 * HOUR)).toBe(START + 5 * HOUR);
    expect(c.nextChangeAfter(START + 5 * HOUR)).toBe(START + DAY);
  });

  it('a pending boot sync is a change, and is gone once a second boot cut it short', () => {
    const c = clock({ boot: { resetTo: 0, syncAfterMs: 2 * HOUR } });
    c.boot(START);
    expect(c.nextChangeAfter(START)).toBe(START + 2 * HOUR);
    c.boot(START + HOUR);
    expect(c.nextChangeAfter(START + HOUR)).toBe(START + 3 * HOUR);
  });

  it('after the last jump, a clock without syncs has no next change', () => {
    const c = clock({ jumps: [{ at: START + DAY, byMs: HOUR }] });
    expect(c.nextChangeAfter(START)).toBe(START + DAY);
    expect(c.nextChangeAfter(START + DAY)).toBeUndefined();
  });
});

describe('DeviceClock.trueTimeWhenReading', () => {
  /** The answer is the earliest time: the clock reads the target then and not one millisecond before. */
  const expectEarliest = (c: DeviceClock, target: number, t: number | undefined): void => {
    expect(t).toBeDefined();
    expect(c.read(t ?? Number.NaN)).toBeGreaterThanOrEqual(target);
    expect(c.read((t ?? Number.NaN) - 1)).toBeLessThan(target);
  };

  it('a perfect clock reaches a reading at that true time', () => {
    expect(clock().trueTimeWhenReading(START + 10 * DAY, START, START + YEAR)).toBe(START + 10 * DAY);
  });

  it('a reading already reached at `from` is reached at `from`', () => {
    expect(clock({ offsetMs: HOUR }).trueTimeWhenReading(START + 30 * MINUTE, START, START + YEAR)).toBe(START);
  });

  it('a clock one hour ahead reaches a reading one hour early', () => {
    expect(clock({ offsetMs: HOUR }).trueTimeWhenReading(START + 10 * DAY, START, START + YEAR)).toBe(START + 10 * DAY - HOUR);
  });

  it('a clock drifting +20 ppm reaches the reading "one year on" about 630.71 s early', () => {
    const c = clock({ driftPpm: 20 });
    const t = c.trueTimeWhenReading(START + YEAR, START, START + 2 * YEAR);
    expect(t).toBe(START + Math.ceil(YEAR / 1.00002));
    expectEarliest(c, START + YEAR, t);
    expect(START + YEAR - (t ?? 0)).toBeCloseTo(630_707.4, 0);
  });

  it('a clock drifting -20 ppm reaches the reading "one year on" late', () => {
    const c = clock({ driftPpm: -20 });
    const t = c.trueTimeWhenReading(START + YEAR, START, START + 2 * YEAR);
    expectEarliest(c, START + YEAR, t);
    expect(t).toBeGreaterThan(START + YEAR + 630_000);
  });

  it('with daily syncs over a year, a +20 ppm clock is early only by the drift since the last sync', () => {
    const c = clock({ driftPpm: 20, syncEveryMs: DAY });
    const target = START + 300 * DAY + 12 * HOUR;
    const t = c.trueTimeWhenReading(target, START, START + YEAR);
    expect(t).toBe(START + 300 * DAY + Math.ceil((12 * HOUR) / 1.00002));
    expectEarliest(c, target, t);
  });

  it('a fast clock reaches a reading just before a sync that would set it back', () => {
    const c = clock({ driftPpm: 20, syncEveryMs: DAY });
    const target = START + DAY + SECOND;
    const t = c.trueTimeWhenReading(target, START, START + YEAR);
    expect(t).toBe(START + Math.ceil((DAY + SECOND) / 1.00002));
    expect(t).toBeLessThan(START + DAY);
    expectEarliest(c, target, t);
  });

  it('a clock stuck in 1970 reaches a 2030 reading when the sync arrives', () => {
    const c = booted({ boot: { resetTo: 0, syncAfterMs: 2 * HOUR } });
    expect(c.trueTimeWhenReading(START + HOUR, START, START + YEAR)).toBe(START + 2 * HOUR);
    expect(c.trueTimeWhenReading(START + 3 * HOUR, START, START + YEAR)).toBe(START + 3 * HOUR);
  });

  it('a clock stuck in 1970 that never syncs never reaches a 2030 reading (undefined)', () => {
    const c = booted({ boot: { resetTo: 0 } });
    expect(c.trueTimeWhenReading(START + DAY, START, START + 10 * YEAR)).toBeUndefined();
  });

  it('a reading reached only after `until` is undefined; at `until` exactly it is found', () => {
    const c = clock();
    expect(c.trueTimeWhenReading(START + 10 * DAY, START, START + 10 * DAY - 1)).toBeUndefined();
    expect(c.trueTimeWhenReading(START + 10 * DAY, START, START + 10 * DAY)).toBe(START + 10 * DAY);
  });

  it('after a GPS rollover the clock reaches a reading past the rollover only 1024 weeks later', () => {
    const c = clock({ jumps: [{ at: GPS_ROLLOVER_AT, byMs: GPS_ROLLOVER_MS }] }, START_2019);
    expect(c.trueTimeWhenReading(GPS_ROLLOVER_AT - DAY, START_2019, START_2019 + 40 * YEAR)).toBe(GPS_ROLLOVER_AT - DAY);
    expect(c.trueTimeWhenReading(GPS_ROLLOVER_AT + HOUR, START_2019, START_2019 + 40 * YEAR)).toBe(GPS_ROLLOVER_AT + HOUR - GPS_ROLLOVER_MS);
  });

  it('a perfect clock that syncs every minute reaches a reading 90 days on, at that true time', () => {
    // 90 days hold 129,600 one-minute syncs: more steps than the search's guard allows when it steps sync by sync.
    const c = clock({ syncEveryMs: MINUTE });
    expect(c.trueTimeWhenReading(START + 90 * DAY, START, START + YEAR)).toBe(START + 90 * DAY);
  });
});
