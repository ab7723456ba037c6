import { describe, expect, it } from 'vitest';
import type { Incident } from '../../sim/results/incident.js';
import { incidentWindows, largestFalls, MAX_WINDOWS, SAMPLES_EACH_SIDE } from '../../sim/report/incident-windows.js';
import { DAY, SECOND } from '../support/time.js';

const START = Date.parse('2021-09-01T00:00:00Z');
/** Daily samples for three years and a bit, as dst-root-ca-x3-2021 samples. */
const TIMES = Array.from({ length: 1187 }, (_, i) => START + i * DAY);
const at = (iso: string) => Date.parse(iso);

function incident(start: string, cause: string, devicesAffected: number, lowest: number): Incident {
  return {
    start,
    cause,
    devicesAffected,
    attempts: devicesAffected * 3,
    causes: [
      { cause, devicesAffected, attempts: devicesAffected * 3 },
      { cause: 'device:expired_root', devicesAffected: 1, attempts: 2 },
    ],
    devicesHit: devicesAffected + 1,
    cohorts: { some: devicesAffected },
    devices: [],
    lowest: { t: start, connected: lowest },
    recovered: { devices: 0, lastAt: null },
    lastFailureAt: start,
  };
}

/** Fleet availability that steps down at the given sample indexes by the given shares. */
function availability(steps: [index: number, fall: number][]): number[] {
  let level = 1;
  return TIMES.map((_, i) => {
    for (const [index, fall] of steps) if (index === i) level -= fall;
    return level;
  });
}

describe('zoom windows around incidents', () => {
  it('gives each incident its own window, in order of start, from 12 samples before the first sample after its start', () => {
    const incidents = [incident('2024-09-30T18:14:03Z', 'device:expired_intermediate', 25, 0.6), incident('2021-09-30T14:01:15Z', 'device:expired_on_chosen_path', 10, 0.85)];
    const { source, windows, omitted } = incidentWindows(TIMES, availability([]), incidents);
    expect(source).toBe('incidents');
    expect(omitted).toBe(0);
    expect(windows.map((w) => w.start)).toEqual([at('2021-09-30T14:01:15Z'), at('2024-09-30T18:14:03Z')]);
    // The first sample after 2021-09-30T14:01:15Z is 2021-10-01T00:00Z; the window is 24 samples around it.
    expect(windows[0]?.from).toBe(at('2021-10-01T00:00:00Z') - SAMPLES_EACH_SIDE * DAY);
    expect(windows[0]?.to).toBe(at('2021-10-01T00:00:00Z') + (SAMPLES_EACH_SIDE - 1) * DAY);
    expect(windows[0]?.cause).toBe('device:expired_on_chosen_path');
    expect(windows[0]?.title).toMatch(/^2021-09-30T14:01:15Z: 11 devices hit, device:expired_on_chosen_path 10 and 1 more cause; lowest 85\.0%$/);
    expect(windows[1]?.title).toMatch(/^2024-09-30T18:14:03Z: 26 devices hit, device:expired_intermediate 25 and 1 more cause; lowest 60\.0%$/);
  });

  it('keeps a window whole at either end of the timeline', () => {
    const windows = incidentWindows(TIMES, availability([]), [incident(new Date(START + SECOND).toISOString(), 'device:expired_root', 1, 0.9), incident(new Date(TIMES.at(-1)! + DAY).toISOString(), 'device:expired_leaf', 1, 0.9)]).windows;
    expect(windows[0]?.from).toBe(START);
    expect(windows[0]?.to).toBe(START + (2 * SAMPLES_EACH_SIDE - 1) * DAY);
    expect(windows[1]?.to).toBe(TIMES.at(-1));
    expect(windows[1]?.from).toBe(TIMES.at(-1)! - (2 * SAMPLES_EACH_SIDE - 1) * DAY);
  });

  it(`zooms on at most ${MAX_WINDOWS} incidents and counts the rest`, () => {
    const many = Array.from({ length: MAX_WINDOWS + 3 }, (_, i) => incident(new Date(START + (i + 1) * 50 * DAY).toISOString(), 'device:expired_leaf', 1, 0.99));
    const { windows, omitted } = incidentWindows(TIMES, availability([]), many);
    expect(windows).toHaveLength(MAX_WINDOWS);
    expect(omitted).toBe(3);
  });

  it('zooms on nothing when the whole run is no longer than one window', () => {
    const times = TIMES.slice(0, 2 * SAMPLES_EACH_SIDE + 1);
    expect(incidentWindows(times, availability([]).slice(0, times.length), [incident('2021-09-05T00:00:00Z', 'device:expired_root', 1, 0.5)]).windows).toEqual([]);
  });
});

describe('zoom windows of a run written before summary.json listed incidents', () => {
  it('zooms on the largest falls of fleet availability, in time order', () => {
    const connected = availability([
      [395, 0.25],
      [30, 0.15],
    ]);
    const { source, windows } = incidentWindows(TIMES, connected, undefined);
    expect(source).toBe('falls');
    expect(windows.map((w) => w.start)).toEqual([TIMES[30], TIMES[395]]);
    expect(windows[0]?.title).toBe('availability fell from 100.0% to 85.0% by 2021-10-01T00:00Z');
    expect(windows[0]?.from).toBe(TIMES[30 - SAMPLES_EACH_SIDE]);
    expect(windows[0]?.to).toBe(TIMES[30 + SAMPLES_EACH_SIDE - 1]);
    expect(windows[0]?.cause).toBeNull();
  });

  it('leaves out churn: falls under a quarter of the largest, and falls inside a larger fall window', () => {
    const falls = largestFalls(
      availability([
        [100, 0.4],
        [105, 0.2],
        [600, 0.05],
        [900, 0.2],
      ]),
    );
    expect(falls.map((f) => f.index)).toEqual([100, 900]);
  });

  it('finds no fall in a fleet that never lost a device', () => {
    expect(incidentWindows(TIMES, availability([]), undefined).windows).toEqual([]);
  });
});
