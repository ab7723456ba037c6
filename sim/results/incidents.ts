import type { FailureEpisode } from './failure-episodes.js';
import type { Incident, QuietMarker } from './incident.js';

/**
 * How far apart, in sample intervals, two devices may start failing and still be one incident, at least. A wave of
 * devices meeting an expiry at their next reconnect starts failing over a reconnect interval, so the gap is at least
 * twice the longest one; the same cause years later is a new wave.
 */
export const INCIDENT_GAP_SAMPLES = 7;
/** At most this many device ids per incident. */
const LISTED_DEVICES = 20;

export interface IncidentInput {
  /** Every device's stretches of failed connects (FailureTally.episodes()). */
  episodes: readonly FailureEpisode[];
  /** Share of the fleet connected at each sample, in time order. */
  availability: readonly { t: number; connected: number }[];
  /** The scenario's events and certificate expiries (the run's timeline markers). */
  markers: readonly { t: number; label: string }[];
  /** The timeline's sample interval, ms. */
  sample: number;
  /** The longest interval at which a cohort's devices reconnect (connectivity.reconnectEvery), ms, if any. */
  reconnectEvery?: number | undefined;
  /** True time the run reached. */
  reached: number;
}

/**
 * A run's incidents and the markers that caused nothing, from the devices' failure episodes.
 *
 * Grouping: episodes are taken in order of start; an episode joins the incident of the previous one, whatever its
 * cause (one expiry fails different verifiers for different reasons at once: one cliff), when it starts within the
 * gap of it (INCIDENT_GAP_SAMPLES sample intervals, or twice the longest reconnect interval if that is longer) and no
 * marker (an expiry, a scenario event, a fault) lies between the two starts; otherwise it starts a new incident. A device's retries stay in its episode, so devices
 * that never recover do not stretch an incident into the next wave. The incident's cause is the one that hit the most
 * devices (attempts break ties and are reported beside). Its lowest availability is the lowest sample from its start
 * until the next incident starts, every device hit has connected again, or the run ended, whichever is first (at
 * least the first sample after the start). A marker is quiet when no device started failing from it until the gap
 * later.
 */
export function findIncidents(input: IncidentInput): { incidents: Incident[]; quietMarkers: QuietMarker[] } {
  const gap = Math.max(INCIDENT_GAP_SAMPLES * input.sample, 2 * (input.reconnectEvery ?? 0));
  const markerBetween = (from: number, to: number) => input.markers.some((m) => m.t > from && m.t <= to);
  const episodes = [...input.episodes].sort((a, b) => a.start - b.start || a.device.localeCompare(b.device));
  const groups: FailureEpisode[][] = [];
  let current: FailureEpisode[] | undefined;
  for (const episode of episodes) {
    const previous = current?.at(-1);
    if (current && previous && episode.start - previous.start <= gap && !markerBetween(previous.start, episode.start)) current.push(episode);
    else groups.push((current = [episode]));
  }
  const incidents = groups.map((group, i) => describe(group, groups[i + 1]?.[0]?.start ?? Infinity, input));
  const quietMarkers = input.markers
    .filter((m) => m.t <= input.reached && !episodes.some((e) => e.start >= m.t && e.start <= m.t + gap))
    .map((m) => ({ t: iso(m.t), label: m.label }));
  return { incidents, quietMarkers };
}

function describe(group: readonly FailureEpisode[], nextStart: number, input: IncidentInput): Incident {
  const start = group[0]?.start ?? 0;
  const causes = new Map<string, { devices: Set<string>; attempts: number }>();
  const cohorts = new Map<string, Set<string>>();
  /** Each device's latest episode in the group: whether it ended decides whether the device recovered. */
  const latest = new Map<string, FailureEpisode>();
  let lastFailure = start;
  for (const episode of group) {
    for (const [cause, n] of Object.entries(episode.attempts)) {
      const entry = causes.get(cause) ?? { devices: new Set<string>(), attempts: 0 };
      entry.devices.add(episode.device);
      entry.attempts += n;
      causes.set(cause, entry);
    }
    const inCohort = cohorts.get(episode.cohort) ?? new Set<string>();
    cohorts.set(episode.cohort, inCohort.add(episode.device));
    latest.set(episode.device, episode);
    lastFailure = Math.max(lastFailure, episode.last);
  }
  const ranked = [...causes]
    .map(([cause, e]) => ({ cause, devicesAffected: e.devices.size, attempts: e.attempts }))
    .sort((a, b) => b.devicesAffected - a.devicesAffected || b.attempts - a.attempts || a.cause.localeCompare(b.cause));
  const recoveries = [...latest.values()].map((e) => e.recoveredAt);
  const recoveredAt = recoveries.filter((t): t is number => t !== null);
  const allBack = recoveredAt.length === recoveries.length;
  const lastBack = allBack ? Math.max(...recoveredAt) : null;
  const lead = ranked[0] ?? { cause: 'device:unknown', devicesAffected: 0, attempts: 0 };
  return {
    start: iso(start),
    cause: lead.cause,
    devicesAffected: lead.devicesAffected,
    attempts: lead.attempts,
    causes: ranked,
    devicesHit: latest.size,
    cohorts: Object.fromEntries([...cohorts].map(([name, devices]) => [name, devices.size])),
    devices: [...latest.keys()].slice(0, LISTED_DEVICES),
    lowest: lowestSample(input.availability, start, Math.min(nextStart, lastBack ?? Infinity, input.reached)),
    recovered: { devices: recoveredAt.length, lastAt: lastBack === null ? null : iso(lastBack) },
    lastFailureAt: iso(lastFailure),
  };
}

/** The lowest sample in [from, until], or the first sample after `from` when none falls inside. */
function lowestSample(samples: IncidentInput['availability'], from: number, until: number): Incident['lowest'] {
  const inside = samples.filter((s) => s.t >= from && s.t <= until);
  const candidates = inside.length > 0 ? inside : samples.filter((s) => s.t >= from).slice(0, 1);
  // A run stopped before any sample after the start: the last sample taken is all there is; with no sample at all,
  // nothing was measured and the fleet share is reported whole rather than invented.
  const pool = candidates.length > 0 ? candidates : samples.slice(-1);
  const low = pool.reduce<(typeof pool)[number] | undefined>((a, s) => (!a || s.connected < a.connected ? s : a), undefined);
  return low ? { t: iso(low.t), connected: low.connected } : { t: iso(from), connected: 1 };
}

function iso(t: number): string {
  return new Date(t).toISOString();
}
