import { DURATION_HINT, parseDuration } from '../time/duration.js';
import { parseLiveSpeed, parseLiveTime, SPEED_HINT, TIME_HINT } from './live-clock.js';

/** A request to move the standalone broker's clock: to a time, or by a duration, and optionally to a new rate. */
export interface ClockMove {
  at?: number | undefined;
  advance?: number | undefined;
  speed?: number | undefined;
}

const FIELDS = new Set(['at', 'advance', 'speed']);

/**
 * Reads the body of `POST /clock`: `{"at": "<ISO UTC>"}` or `{"advance": "90s"}` (negative: back), either with an
 * optional `"speed": "1h/s" | "frozen"`, or `{"speed": ...}` alone. One line says what is wrong with any other.
 */
export function readClockMove(body: unknown): ClockMove | { problem: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { problem: 'expected a JSON object such as {"at": "2030-01-01T00:00:00Z"}, {"advance": "90s"} or {"speed": "1h/s"}' };
  }
  const record = body as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0) return { problem: `unknown field ${JSON.stringify(unknown[0])}: expected "at", "advance" and/or "speed"` };
  if (record.at !== undefined && record.advance !== undefined) return { problem: 'give "at" or "advance", not both' };
  if (record.at === undefined && record.advance === undefined && record.speed === undefined) {
    return { problem: 'expected "at" (a time), "advance" (a duration) or "speed" (a rate)' };
  }
  const move: ClockMove = {};
  if (record.at !== undefined) {
    const at = typeof record.at === 'string' ? parseLiveTime(record.at) : { problem: `expected ${TIME_HINT}` };
    if ('problem' in at) return { problem: `at: ${at.problem}` };
    move.at = at.t;
  }
  if (record.advance !== undefined) {
    const ms = typeof record.advance === 'string' ? parseDuration(record.advance) : undefined;
    if (ms === undefined) return { problem: `advance: expected ${DURATION_HINT}, got ${JSON.stringify(record.advance)}` };
    move.advance = ms;
  }
  if (record.speed !== undefined) {
    const speed = typeof record.speed === 'string' ? parseLiveSpeed(record.speed) : { problem: `expected ${SPEED_HINT}` };
    if ('problem' in speed) return { problem: `speed: ${speed.problem}` };
    move.speed = speed.speed;
  }
  return move;
}
