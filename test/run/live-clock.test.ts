import { describe, expect, it } from 'vitest';
import { readClockMove } from '../../sim/run/clock-move.js';
import { formatLiveSpeed, LiveClock, parseLiveSpeed, parseLiveTime } from '../../sim/run/live-clock.js';
import { DAY, HOUR, MINUTE, SECOND } from '../support/time.js';

const AT = Date.parse('2030-01-15T00:00:00Z');

/** A wall clock the test moves by hand. */
function handWall(): { now: () => number; pass: (ms: number) => void } {
  let wall = 1_000;
  return { now: () => wall, pass: (ms) => (wall += ms) };
}

describe('the standalone broker\'s live clock', () => {
  it('stays at its time while frozen, however much wall time passes', () => {
    const wall = handWall();
    const clock = new LiveClock({ t: AT, speed: 0 }, wall.now);
    wall.pass(10 * MINUTE);
    expect(clock.now()).toBe(AT);
  });

  it('runs from its time at its rate: an hour of simulated time per wall second at 1h/s', () => {
    const wall = handWall();
    const clock = new LiveClock({ t: AT, speed: HOUR }, wall.now);
    wall.pass(2.5 * SECOND);
    expect(clock.now()).toBe(AT + 2.5 * HOUR);
  });

  it('is set to a time and runs on from there, and can be moved back', () => {
    const wall = handWall();
    const clock = new LiveClock({ t: AT, speed: SECOND }, wall.now);
    wall.pass(30 * SECOND);
    expect(clock.set(AT + DAY)).toEqual({ t: AT + DAY, speed: SECOND });
    wall.pass(10 * SECOND);
    expect(clock.now()).toBe(AT + DAY + 10 * SECOND);
    expect(clock.advance(-2 * DAY).t).toBe(AT - DAY + 10 * SECOND);
  });

  it('advances by a duration and takes a new rate with it', () => {
    const wall = handWall();
    const clock = new LiveClock({ t: AT, speed: 0 }, wall.now);
    expect(clock.advance(90 * SECOND, HOUR)).toEqual({ t: AT + 90 * SECOND, speed: HOUR });
    wall.pass(SECOND);
    expect(clock.now()).toBe(AT + 90 * SECOND + HOUR);
  });

  it('refuses a time no date can hold and a rate that is not a finite positive number', () => {
    const clock = new LiveClock({ t: AT, speed: 0 }, handWall().now);
    expect(() => clock.set(9e15)).toThrow(RangeError);
    expect(() => clock.set(AT, -1)).toThrow(RangeError);
    expect(() => clock.set(AT, Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(clock.now()).toBe(AT);
  });
});

describe('rates and times as flags and the control endpoint write them', () => {
  it('reads rates as a scenario\'s timeline.speed, and "frozen"', () => {
    expect(parseLiveSpeed('1s/s')).toEqual({ speed: SECOND });
    expect(parseLiveSpeed('1h/s')).toEqual({ speed: HOUR });
    expect(parseLiveSpeed('frozen')).toEqual({ speed: 0 });
    expect(formatLiveSpeed(HOUR)).toBe('1h/s');
    expect(formatLiveSpeed(0)).toBe('frozen');
  });

  it('refuses "max" and nonsense with one line naming what it expects', () => {
    for (const text of ['max', 'fast', '1h', '-1s/s']) {
      const parsed = parseLiveSpeed(text);
      expect(parsed, text).toHaveProperty('problem');
      expect((parsed as { problem: string }).problem).toMatch(/^expected a rate of simulated time per second such as "1s\/s"/);
    }
  });

  it('reads UTC times as scenario files write them, and refuses others', () => {
    expect(parseLiveTime('2030-01-15T00:00:00Z')).toEqual({ t: AT });
    expect(parseLiveTime('2030-01-15')).toEqual({ t: AT });
    expect(parseLiveTime('2030-02-30')).toHaveProperty('problem');
    expect(parseLiveTime('tomorrow')).toHaveProperty('problem');
  });

  it('reads a clock move: a time or a duration, with or without a rate', () => {
    expect(readClockMove({ at: '2030-01-15T00:00:00Z' })).toEqual({ at: AT });
    expect(readClockMove({ advance: '-90s', speed: '1h/s' })).toEqual({ advance: -90 * SECOND, speed: HOUR });
    expect(readClockMove({ speed: 'frozen' })).toEqual({ speed: 0 });
  });

  it('says in one line what is wrong with a bad clock move', () => {
    const problem = (body: unknown) => (readClockMove(body) as { problem?: string }).problem;
    expect(problem([])).toMatch(/^expected a JSON object/);
    expect(problem({})).toMatch(/^expected "at"/);
    expect(problem({ at: '2030-01-15', advance: '1h' })).toBe('give "at" or "advance", not both');
    expect(problem({ at: 5 })).toMatch(/^at: expected a UTC time/);
    expect(problem({ advance: 'soon' })).toMatch(/^advance: expected a duration/);
    expect(problem({ speed: 'max' })).toMatch(/^speed: expected a rate/);
    expect(problem({ when: 'now' })).toBe('unknown field "when": expected "at", "advance" and/or "speed"');
  });
});
