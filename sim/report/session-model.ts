import type { FleetEvent } from '../events/fleet-event.js';
import { groupMarkers, type MarkerGroup, type TimeSeries } from './report-model.js';
import { causeText } from './headline.js';
import type { SessionData } from './session-data.js';

/** One line of a session chart: a key ("admitted", "broker:expired_leaf", "issued"), its words, its counts. */
export interface SessionSeries {
  key: string;
  text: string;
  series: TimeSeries;
}

/**
 * What a broker session's report.html draws, embedded as JSON: its decisions counted per interval of simulated time
 * (each point is the interval centred on t), and the scenario events as markers, as a run's report draws them.
 */
export interface SessionModel {
  timeline: { start: number; end: number; reached: number };
  intervalMs: number;
  markers: MarkerGroup[];
  /** Admitted connects, then refused ones by "broker:<cause>", the most frequent first. */
  connects: SessionSeries[];
  /** Certificates issued and CSRs refused; registrations and jobs when there were any. */
  certificates: SessionSeries[];
  /** Deliveries by outcome (sent, acknowledged, queued, synced, lost). */
  deliveries: SessionSeries[];
  /** TLS handshakes that failed before MQTT, by the alert the client sent. */
  tlsFailures: SessionSeries[];
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const STEPS = [SECOND, 5 * SECOND, 15 * SECOND, MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 7 * DAY, 30 * DAY];
/** At most this many intervals: a chart of a year's session keeps to a point a few days wide. */
const MAX_INTERVALS = 120;

const DELIVERY_TEXT: Record<string, string> = {
  sent: 'sent to an online client',
  acknowledged: 'acknowledged by the client',
  queued: 'queued for the next connect',
  synced: 'handed over on sync',
  lost: 'lost (injected)',
};

export function buildSessionModel(data: SessionData): SessionModel {
  // A loop, not Math.min(...times): a long session's million decisions would overflow the call stack.
  let start = Infinity;
  let reached = -Infinity;
  const bounds = [parseTime(data.about?.simulated.start), parseTime(data.about?.simulated.reached)].filter((b) => b !== undefined);
  for (const at of [...bounds, ...data.events.map((e) => e.t)]) {
    start = Math.min(start, at);
    reached = Math.max(reached, at);
  }
  const first = Number.isFinite(start) ? start : 0;
  const last = Number.isFinite(reached) ? reached : first;
  const span = last - first;
  const intervalMs = STEPS.find((step) => span / step < MAX_INTERVALS) ?? Math.ceil(span / MAX_INTERVALS / (30 * DAY)) * 30 * DAY;
  const count = Math.floor(span / intervalMs) + 1;
  // Each point sits in the middle of its interval: a session at one fixed instant shows its counts mid-chart.
  const t = Array.from({ length: count }, (_, i) => first + (i + 0.5) * intervalMs);
  const counters = new Map<string, { text: string; values: number[] }>();
  const add = (group: string, key: string, text: string, at: number) => {
    const id = `${group}|${key}`;
    const counter = counters.get(id) ?? { text, values: new Array<number>(count).fill(0) };
    const index = Math.min(count - 1, Math.max(0, Math.floor((at - first) / intervalMs)));
    counter.values[index] = (counter.values[index] ?? 0) + 1;
    counters.set(id, counter);
  };
  const markers: { t: string; kind: 'event' | 'fault'; label: string }[] = [];
  for (const event of data.events) countEvent(event, add, markers);
  const group = (name: string, order?: readonly string[]): SessionSeries[] =>
    [...counters]
      .filter(([id]) => id.startsWith(`${name}|`))
      .map(([id, c]) => ({ key: id.slice(name.length + 1), text: c.text, series: { t, values: c.values }, total: c.values.reduce((a, b) => a + b, 0) }))
      .sort((a, b) => rank(order, a.key) - rank(order, b.key) || b.total - a.total || a.key.localeCompare(b.key))
      .map(({ key, text, series }) => ({ key, text, series }));
  return {
    // The x axis spans whole intervals, at least one: a session at one fixed instant still has width.
    timeline: { start: first, end: first + count * intervalMs, reached: first + count * intervalMs },
    intervalMs,
    markers: groupMarkers(markers),
    connects: group('connects', ['admitted']),
    certificates: group('certificates', ['issued', 'csr-refused']),
    deliveries: group('deliveries', Object.keys(DELIVERY_TEXT)),
    tlsFailures: group('tls'),
  };
}

function countEvent(
  event: FleetEvent,
  add: (group: string, key: string, text: string, at: number) => void,
  markers: { t: string; kind: 'event' | 'fault'; label: string }[],
): void {
  const marker = (label: string, kind: 'event' | 'fault' = 'event') => markers.push({ t: new Date(event.t).toISOString(), kind, label });
  switch (event.type) {
    case 'broker.admission':
      if (event.cause === 'ok') add('connects', 'admitted', 'connects the broker admitted', event.t);
      else add('connects', `broker:${event.cause}`, causeText(`broker:${event.cause}`), event.t);
      break;
    case 'broker.issuance':
      if (event.ok) add('certificates', 'issued', 'certificates issued', event.t);
      else add('certificates', 'csr-refused', 'CSRs refused', event.t);
      break;
    case 'broker.registration':
      add('certificates', event.ok ? 'registered' : 'registration-refused', event.ok ? 'things registered' : 'registrations refused', event.t);
      break;
    case 'broker.job':
      add('certificates', `job-${event.status}`, `jobs ${event.status}`, event.t);
      break;
    case 'broker.delivery':
      add('deliveries', event.outcome, DELIVERY_TEXT[event.outcome] ?? event.outcome, event.t);
      break;
    case 'broker.tls-failure':
      add('tls', event.alert ?? 'no-alert', event.alert === undefined ? 'failed handshakes without an alert' : `failed handshakes, the client sent ${event.alert}`, event.t);
      break;
    case 'broker.server-certificate':
      marker(`broker serves ${event.name}`);
      break;
    case 'broker.revocation':
      marker(`revoked ${event.target}`);
      break;
    case 'broker.restart':
      marker('broker restart');
      break;
    case 'broker.device-authorities':
      marker(`device authorities: ${event.authorities.join(', ')}`);
      break;
    case 'fault.start':
      marker(event.label, 'fault');
      break;
    default:
      break;
  }
}

function rank(order: readonly string[] | undefined, key: string): number {
  const index = order?.indexOf(key) ?? -1;
  return index < 0 ? Number.MAX_SAFE_INTEGER : index;
}

function parseTime(iso: string | undefined): number | undefined {
  return iso === undefined ? undefined : Date.parse(iso);
}
