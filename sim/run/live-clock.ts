import { instant, speed as speedSchema } from '../scenario/primitives.js';
import { formatDuration } from '../time/duration.js';

/** A wall clock in milliseconds (performance.now in the harness; a hand-moved one in tests). */
export type WallClock = () => number;

/** What the live clock reads: the simulated time and how fast it runs (simulated ms per wall second; 0: frozen). */
export interface ClockState {
  t: number;
  speed: number;
}

/**
 * The standalone broker's simulated clock (`certfleet broker --at --speed`): frozen at a time, or running from it at a
 * rate of simulated time per wall second, and movable while it runs. It is true time for the broker: the broker, its
 * CA and the scenario's events read it; wall time only paces it.
 */
export class LiveClock {
  readonly #wall: WallClock;
  /** The simulated time at `#wallAt`, and the rate from there. */
  #at: number;
  #wallAt: number;
  #speed: number;

  constructor(start: ClockState, wall: WallClock) {
    this.#wall = wall;
    this.#at = checkedTime(start.t);
    this.#speed = checkedSpeed(start.speed);
    this.#wallAt = wall();
  }

  /** The simulated time now, in whole milliseconds. */
  now(): number {
    return this.#at + Math.floor(((this.#wall() - this.#wallAt) * this.#speed) / 1000);
  }

  get speed(): number {
    return this.#speed;
  }

  read(): ClockState {
    return { t: this.now(), speed: this.#speed };
  }

  /** Sets the time (and the rate, if given); it runs on from there at the rate. */
  set(t: number, speed = this.#speed): ClockState {
    this.#at = checkedTime(t);
    this.#speed = checkedSpeed(speed);
    this.#wallAt = this.#wall();
    return this.read();
  }

  /** Moves the time by `ms` (negative: back), keeping the rate unless one is given. */
  advance(ms: number, speed = this.#speed): ClockState {
    return this.set(this.now() + ms, speed);
  }
}

/** ECMA-262 21.4.1.1: the times a Date can hold. */
const MAX_TIME_VALUE = 8.64e15;

function checkedTime(t: number): number {
  if (!Number.isSafeInteger(t) || Math.abs(t) > MAX_TIME_VALUE) throw new RangeError(`the clock cannot be set to ${t}: expected a time a date can hold`);
  return t;
}

function checkedSpeed(speed: number): number {
  if (!Number.isFinite(speed) || speed < 0) throw new RangeError(`the clock cannot run at ${speed}: expected a finite rate, 0 or more`);
  return speed;
}

export const SPEED_HINT = 'a rate of simulated time per second such as "1s/s" or "1h/s", or "frozen"';
export const TIME_HINT = 'a UTC time such as "2030-01-01T00:00:00Z"';

/**
 * A rate as a scenario's timeline.speed writes it ("1s/s", "1h/s", "30d/s"), or "frozen" (or "0"): the clock stands
 * still until moved. "max" has no meaning for a clock that clients connect against in wall time.
 */
export function parseLiveSpeed(text: string): { speed: number } | { problem: string } {
  const trimmed = text.trim();
  if (trimmed === 'frozen' || trimmed === '0') return { speed: 0 };
  if (trimmed === 'max') return { problem: `expected ${SPEED_HINT}, got "max": a broker's clock must run at a rate clients can keep up with` };
  const parsed = speedSchema.safeParse(trimmed);
  if (!parsed.success || !Number.isFinite(parsed.data)) return { problem: `expected ${SPEED_HINT}, got ${JSON.stringify(text)}` };
  return { speed: parsed.data };
}

/** The rate as `parseLiveSpeed` reads it: "frozen", or "1h/s". */
export function formatLiveSpeed(speed: number): string {
  return speed === 0 ? 'frozen' : `${formatDuration(speed)}/s`;
}

/** An ISO 8601 UTC time ("2030-01-01T00:00:00Z", "2030-01-01"), as scenario times are written. */
export function parseLiveTime(text: string): { t: number } | { problem: string } {
  const parsed = instant.safeParse(text.trim());
  if (!parsed.success) return { problem: `expected ${TIME_HINT}, got ${JSON.stringify(text)}` };
  return { t: parsed.data };
}
