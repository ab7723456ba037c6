import { causeText } from './headline.js';
import { incidentWindows, type IncidentWindows } from './incident-windows.js';
import { binIndexOf, latencyHistogram, type LatencyBin } from './latency-histogram.js';
import type { RunData } from './report-data.js';
import type { PublishedRunSummary as ReportSummary } from '../results/summary-schema.js';

/** Markers at one instant share one line on the charts, with one label line each. */
export interface MarkerGroup {
  t: number;
  kind: 'expiry' | 'event' | 'fault';
  labels: string[];
}

/** A series over simulated time: x in ms since the epoch, aligned values. */
export interface TimeSeries {
  t: number[];
  values: number[];
}

/**
 * What report.html's charts and tables draw, embedded in the page as JSON. Times are ms since the epoch (the charts
 * use a linear axis and format dates themselves). The unrecovered list is columnar with cohort and cause as indexes,
 * so 10,000 devices stay a few hundred kilobytes.
 */
export interface ReportModel {
  timeline: { start: number; end: number; reached: number };
  markers: MarkerGroup[];
  availability: { overall: TimeSeries; cohorts: { name: string; devices: number; series: TimeSeries }[] };
  /** The zoomed views around each incident (sim/report/incident-windows.ts). */
  zooms: IncidentWindows;
  failures: { key: string; text: string; series: TimeSeries }[];
  rotations: { succeeded: TimeSeries; failed: TimeSeries; backlog: TimeSeries };
  latency: {
    count: number;
    p50: number;
    p95: number;
    p99: number;
    max: number;
    bins: LatencyBin[];
    /** The percentiles, each on the bar that holds it. */
    marks: { name: 'p50' | 'p95' | 'p99'; ms: number; bin: number }[];
  };
  audits: { check: string; severity: string; series: TimeSeries }[];
  unrecovered: {
    total: number;
    cohorts: string[];
    causes: string[];
    /** [device, cohort index, cause index, since (ms)] */
    rows: [string, number, number, number][];
    /** The command before the device id: `certfleet repro <run> --device `. */
    reproPrefix: string;
  };
}

export function buildReportModel(run: RunData): ReportModel {
  const { summary } = run;
  const samples = summary.availability.samples;
  const sampleTimes = samples.map((s) => Date.parse(s.t));
  const activityTimes = summary.activity.map((a) => Date.parse(a.t));
  const series = (t: number[], values: number[]): TimeSeries => ({ t, values });
  return {
    timeline: { start: Date.parse(summary.timeline.start), end: Date.parse(summary.timeline.end), reached: Date.parse(summary.timeline.reached) },
    markers: groupMarkers(summary.markers),
    availability: {
      overall: series(sampleTimes, samples.map((s) => s.connected)),
      cohorts: Object.entries(summary.cohorts).map(([name, c]) => ({ name, devices: c.devices, series: series(sampleTimes, samples.map((s) => s.cohorts[name] ?? 0)) })),
    },
    zooms: incidentWindows(sampleTimes, samples.map((s) => s.connected), summary.incidents),
    failures: failureSeries(summary, activityTimes),
    rotations: {
      succeeded: series(activityTimes, summary.activity.map((a) => a.rotationsSucceeded)),
      failed: series(activityTimes, summary.activity.map((a) => a.rotationsFailed)),
      backlog: series(sampleTimes, samples.map((s) => s.renewalBacklog)),
    },
    latency: latencyModel(summary.rotations.latencyMs),
    audits: Object.entries(summary.audits.checks)
      .filter(([, c]) => c.max > 0)
      .map(([check, c]) => ({ check, severity: c.severity, series: series(c.series.map((p) => Date.parse(p.t)), c.series.map((p) => p.count)) })),
    unrecovered: unrecoveredTable(run),
  };
}

/** Markers of one or more runs, one group per instant, in time order. */
export function groupMarkers(markers: readonly { t: string; kind: 'expiry' | 'event' | 'fault'; label: string }[]): MarkerGroup[] {
  const groups = new Map<number, MarkerGroup>();
  for (const m of markers) {
    const t = Date.parse(m.t);
    const group = groups.get(t) ?? { t, kind: m.kind, labels: [] };
    // An expiry explains most, then an injected fault; at one instant the line takes the strongest kind's style.
    if (m.kind === 'expiry' || (m.kind === 'fault' && group.kind === 'event')) group.kind = m.kind;
    if (!group.labels.includes(m.label)) group.labels.push(m.label);
    groups.set(t, group);
  }
  return [...groups.values()].sort((a, b) => a.t - b.t);
}

/** One series per "judge:cause", the most frequent first (the bottom of the stack). */
function failureSeries(summary: ReportSummary, times: number[]): ReportModel['failures'] {
  const totals = new Map<string, number>();
  for (const a of summary.activity) for (const [key, n] of Object.entries(a.failures)) totals.set(key, (totals.get(key) ?? 0) + n);
  return [...totals]
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([key]) => ({ key, text: causeText(key), series: { t: times, values: summary.activity.map((a) => a.failures[key] ?? 0) } }));
}

function unrecoveredTable(run: RunData): ReportModel['unrecovered'] {
  const cohorts: string[] = [];
  const causes: string[] = [];
  const indexIn = (list: string[], value: string) => {
    const i = list.indexOf(value);
    return i >= 0 ? i : list.push(value) - 1;
  };
  const { unrecovered } = run.summary;
  return {
    total: unrecovered.devices,
    cohorts,
    causes,
    rows: unrecovered.list.map((u) => [u.device, indexIn(cohorts, u.cohort), indexIn(causes, u.cause), Date.parse(u.since)]),
    reproPrefix: `certfleet repro ${shellWord(run.dir)} --device `,
  };
}

function latencyModel(latency: ReportSummary['rotations']['latencyMs']): ReportModel['latency'] {
  const bins = latencyHistogram(latency.distribution);
  const marks = (['p50', 'p95', 'p99'] as const).map((name) => ({ name, ms: latency[name], bin: binIndexOf(bins, latency[name]) }));
  return { count: latency.count, p50: latency.p50, p95: latency.p95, p99: latency.p99, max: latency.max, bins, marks: marks.filter((m) => m.bin >= 0) };
}

/** A path as one shell word: as it is when it is plain, in single quotes otherwise. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
