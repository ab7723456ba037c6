import { describe, expect, it } from 'vitest';
import { OutageSchedule } from '../../workers/outage-schedule.js';
import { DAY, HOUR } from '../support/time.js';

const START = Date.parse('2030-01-01T00:00:00Z');

/** Weekly 4-hour outages, the first two days after the start. */
const weekly = new OutageSchedule([{ every: 7 * DAY, duration: 4 * HOUR }], [2 * DAY], START);
/** The weekly series plus 30-day outages of a day, the first nine days after the start (so day 9 has both). */
const both = new OutageSchedule(
  [
    { every: 7 * DAY, duration: 4 * HOUR },
    { every: 30 * DAY, duration: DAY },
  ],
  [2 * DAY, 9 * DAY],
  START,
);

/** Every outage start in (from, to], following nextStartAfter. */
function startsBetween(schedule: OutageSchedule, from: number, to: number): number[] {
  const out: number[] = [];
  for (let t = schedule.nextStartAfter(from); t <= to; t = schedule.nextStartAfter(t)) out.push(t);
  return out;
}

describe('OutageSchedule.nextStartAfter', () => {
  it.each([
    [START - 1, START + 2 * DAY],
    [START, START + 2 * DAY],
    [START + 2 * DAY - 1, START + 2 * DAY],
    [START + 2 * DAY, START + 9 * DAY],
    [START + 2 * DAY + 1, START + 9 * DAY],
    [START + 100 * DAY, START + 107 * DAY],
    [START + 100 * DAY - 1, START + 100 * DAY],
  ])('after %d, the next weekly outage starts at %d (strictly after)', (t, next) => {
    expect(weekly.nextStartAfter(t)).toBe(next);
  });

  it('a device without outages never has one: Infinity', () => {
    expect(new OutageSchedule([], [], START).nextStartAfter(START)).toBe(Number.POSITIVE_INFINITY);
  });

  it('a phase of 0 starts the first outage at the timeline start, found from just before it', () => {
    const s = new OutageSchedule([{ every: DAY, duration: HOUR }], [0], START);
    expect(s.nextStartAfter(START - 1)).toBe(START);
  });

  it('a missing phase counts as 0', () => {
    const s = new OutageSchedule([{ every: DAY, duration: HOUR }], [], START);
    expect(s.nextStartAfter(START - 1)).toBe(START);
    expect(s.nextStartAfter(START)).toBe(START + DAY);
  });

  it('two series merge into one ordered list of starts, a shared start listed once', () => {
    expect(startsBetween(both, START - 1, START + 40 * DAY).map((t) => (t - START) / DAY)).toEqual([2, 9, 16, 23, 30, 37, 39]);
  });
});

describe('OutageSchedule.durationOfOutageAt', () => {
  it.each([
    [START + 2 * DAY, 4 * HOUR],
    [START + 9 * DAY, 4 * HOUR],
    [START + 702 * DAY, 4 * HOUR],
    [START + 2 * DAY + 1, 0],
    [START + 2 * DAY - 7 * DAY, 0],
    [START, 0],
  ])('an outage starting at %d lasts %d ms (0: no outage starts then)', (t, duration) => {
    expect(weekly.durationOfOutageAt(t)).toBe(duration);
  });

  it('when two series start together, the longer outage counts', () => {
    expect(both.durationOfOutageAt(START + 9 * DAY)).toBe(DAY);
    expect(both.durationOfOutageAt(START + 2 * DAY)).toBe(4 * HOUR);
    expect(both.durationOfOutageAt(START + 39 * DAY)).toBe(DAY);
  });

  it('every start nextStartAfter gives has a duration greater than zero', () => {
    for (const t of startsBetween(both, START - 1, START + 365 * DAY)) expect(both.durationOfOutageAt(t)).toBeGreaterThan(0);
  });
});
