import { formatInstant, formatShare } from '../report/report-format.js';
import type { Incident } from './incident.js';

interface Sample {
  t: string;
  connected: number;
  failing: number;
  offline: number;
  cohorts: Record<string, number>;
}

/** Rows spread evenly over the timeline, about this many; the rows around incidents come on top. */
const EVEN_ROWS = 24;

/**
 * summary.md's availability table, short: about EVEN_ROWS samples spread over the run, plus, for every incident, the
 * sample just before its start, the first at or after it, and its lowest with the sample before that; the first and
 * last samples and the lowest of the run always. A note says why a row around an incident is there.
 */
export function availabilityTable(samples: readonly Sample[], cohorts: readonly string[], incidents: readonly Incident[] = [], lowestT?: string): string {
  if (samples.length === 0) return 'No samples.';
  const every = Math.max(1, Math.ceil(samples.length / EVEN_ROWS));
  const notes = new Map<number, string[]>();
  const pick = (i: number, note?: string) => {
    if (i < 0 || i >= samples.length) return;
    const list = notes.get(i) ?? [];
    if (note && !list.includes(note)) list.push(note);
    notes.set(i, list);
  };
  samples.forEach((s, i) => {
    if (i % every === 0 || i === samples.length - 1 || s.t === lowestT) pick(i);
  });
  incidents.forEach((incident, n) => {
    const start = Date.parse(incident.start);
    const after = samples.findIndex((s) => Date.parse(s.t) >= start);
    const firstAfter = after === -1 ? samples.length : after;
    pick(firstAfter - 1, `before incident ${n + 1}`);
    pick(firstAfter, `after incident ${n + 1} started`);
    const lowest = samples.findIndex((s) => s.t === incident.lowest.t);
    pick(lowest - 1);
    pick(lowest, `lowest of incident ${n + 1}`);
  });
  const dateOnly = samples.every((s) => s.t.endsWith('T00:00:00.000Z'));
  const header = `| time | connected | failing | offline | ${cohorts.join(' | ')} | note |`;
  const rule = `|---|---:|---:|---:|${cohorts.map(() => '---:|').join('')}---|`;
  const body = [...notes.keys()]
    .sort((a, b) => a - b)
    .map((i) => {
      const s = samples[i] as Sample;
      const time = dateOnly ? s.t.slice(0, 10) : formatInstant(s.t);
      const shares = [s.connected, s.failing, s.offline, ...cohorts.map((n) => s.cohorts[n] ?? 0)].map(formatShare);
      return `| ${time} | ${shares.join(' | ')} | ${(notes.get(i) ?? []).join('; ')} |`;
    });
  return [header, rule, ...body].join('\n');
}
