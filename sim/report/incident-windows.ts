import type { Incident } from '../results/incident.js';
import { formatInstant, formatShare, plural } from './report-format.js';

/**
 * The zoomed views of report.html: one small chart per incident, spanning some availability samples either side of
 * its start. On a three-year axis a one-second cliff is a pixel wide; in a window of a few dozen samples it is a
 * cliff. The incidents come from summary.json `incidents` (sim/results/incidents.ts); runs written before that
 * field get windows around the largest falls of fleet availability instead, so old run folders still zoom.
 */
export interface IncidentWindow {
  /** The incident's start (or the sample where availability fell), ms since the epoch. */
  start: number;
  /** The window's x range: sample times, ms since the epoch. */
  from: number;
  to: number;
  /** Title of the small chart: when, what, how bad. */
  title: string;
  /** "judge:cause" when the run named it. */
  cause: string | null;
}

export interface IncidentWindows {
  source: 'incidents' | 'falls';
  windows: IncidentWindow[];
  /** Incidents (or falls) beyond MAX_WINDOWS, not zoomed. */
  omitted: number;
}

/** Samples either side of a start: enough to see the level before and the recovery (or not) after. */
export const SAMPLES_EACH_SIDE = 12;
/** A row of small charts stays a row or two; the tables and summary.md list every incident. */
export const MAX_WINDOWS = 8;
/** A fall smaller than this share of the largest one is churn, not a cliff. */
const FALL_SHARE_OF_LARGEST = 0.25;
/** ...and smaller than this share of the fleet never a cliff worth zooming on. */
const SMALLEST_FALL = 0.005;

/**
 * Zoom windows for a run, or none when the timeline is short enough to show every cliff already (the whole run has
 * no more samples than one window).
 */
export function incidentWindows(sampleTimes: readonly number[], connected: readonly number[], incidents: readonly Incident[] | undefined): IncidentWindows {
  if (sampleTimes.length <= 2 * SAMPLES_EACH_SIDE + 1) return { source: incidents ? 'incidents' : 'falls', windows: [], omitted: 0 };
  if (incidents) {
    const sorted = [...incidents].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    const windows = sorted.slice(0, MAX_WINDOWS).map((incident) => {
      const start = Date.parse(incident.start);
      return { start, ...windowAround(sampleTimes, start), title: incidentTitle(incident), cause: incident.cause };
    });
    return { source: 'incidents', windows, omitted: sorted.length - windows.length };
  }
  const falls = largestFalls(connected);
  const windows = falls.slice(0, MAX_WINDOWS).map(({ index, from, to }) => {
    const start = sampleTimes[index] ?? 0;
    return {
      start,
      ...windowAround(sampleTimes, (sampleTimes[index - 1] ?? start) + 1),
      title: `availability fell from ${formatShare(from)} to ${formatShare(to)} by ${formatInstant(start)}`,
      cause: null,
    };
  });
  return { source: 'falls', windows: windows.sort((a, b) => a.start - b.start), omitted: falls.length - windows.length };
}

/** "2021-09-30T14:01:15Z: 3 devices hit, device:expired_on_chosen_path 2 and 1 more cause; lowest 85.0%" (the list under the headline says what each cause means) */
function incidentTitle(incident: Incident): string {
  const others = incident.causes.length - 1;
  const more = others > 0 ? ` and ${plural(others, 'more cause')}` : '';
  return `${formatInstant(incident.start)}: ${plural(incident.devicesHit, 'device')} hit, ${incident.cause} ${incident.devicesAffected}${more}; lowest ${formatShare(incident.lowest.connected)}`;
}

/**
 * SAMPLES_EACH_SIDE samples before the first sample after `start` and as many from it on. A certificate is valid
 * through its notAfter (RFC 5280 4.1.2.5): the sample at the instant itself still sees the fleet connected.
 */
function windowAround(sampleTimes: readonly number[], start: number): { from: number; to: number } {
  const n = sampleTimes.length;
  let after = sampleTimes.findIndex((t) => t > start);
  if (after < 0) after = n - 1;
  const first = Math.max(0, Math.min(after - SAMPLES_EACH_SIDE, n - 2 * SAMPLES_EACH_SIDE));
  const last = Math.min(n - 1, first + 2 * SAMPLES_EACH_SIDE - 1);
  return { from: sampleTimes[first] ?? start, to: sampleTimes[last] ?? start };
}

/**
 * The sample-to-sample falls of fleet availability that look like cliffs, largest first, at most one per window
 * (a fall within SAMPLES_EACH_SIDE samples of a larger one is shown in the larger one's window).
 */
export function largestFalls(connected: readonly number[]): { index: number; from: number; to: number }[] {
  const falls: { index: number; from: number; to: number }[] = [];
  for (let i = 1; i < connected.length; i++) {
    const from = connected[i - 1] ?? 0;
    const to = connected[i] ?? 0;
    if (to < from) falls.push({ index: i, from, to });
  }
  falls.sort((a, b) => b.from - b.to - (a.from - a.to) || a.index - b.index);
  const largest = falls[0] ? falls[0].from - falls[0].to : 0;
  const chosen: typeof falls = [];
  for (const fall of falls) {
    const size = fall.from - fall.to;
    if (size < SMALLEST_FALL || size < largest * FALL_SHARE_OF_LARGEST) break;
    if (chosen.some((c) => Math.abs(c.index - fall.index) <= SAMPLES_EACH_SIDE)) continue;
    chosen.push(fall);
  }
  return chosen;
}
