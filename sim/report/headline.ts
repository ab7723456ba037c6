import { CAUSES, isCause } from '../causes.js';
import type { Incident } from '../results/incident.js';
import { formatCount, formatInstant, formatShare, plural } from './report-format.js';

/** What the headline reads from a summary (summary.json as written, or as a report loaded it). */
export interface HeadlineSource {
  complete: boolean;
  devices: number;
  timeline: { reached: string };
  availability: { samples: readonly { t: string; connected: number }[] };
  /** Per sample interval (t - sample, t]: connect failures by "judge:cause". */
  activity: readonly { t: string; failures: Partial<Record<string, number>> }[];
  markers: readonly { t: string }[];
  unrecovered: { devices: number };
  /** Absent from summaries written before incidents existed: the headline then tells the largest drop. */
  incidents?: readonly Incident[] | undefined;
}

/** Beyond this many incidents the headline tells the first ones and counts the rest (every one is listed below it). */
const TOLD_INCIDENTS = 6;

/** The largest fall of the connected share over consecutive samples that never rise, by sample index. */
export interface AvailabilityDrop {
  /** The last sample before the fall (the top). */
  from: number;
  /** The first sample at the bottom. */
  to: number;
  /** Share of the fleet lost, 0..1. */
  share: number;
}

/**
 * What happened to the fleet, in a few sentences: every incident in order (when devices started failing, how many,
 * for which cause in the plain-English text of sim/causes.ts, ranked by devices with attempts beside, how low
 * availability fell and who recovered), then how many devices never came back. A run without incidents (or written
 * before they existed) gets the largest drop in availability with the most frequent cause while it fell. A run
 * without a drop says so.
 */
export function headline(summary: HeadlineSource): string {
  const samples = summary.availability.samples;
  const reached = formatInstant(summary.timeline.reached);
  const first = samples[0];
  const last = samples.at(-1);
  if (!first || !last) {
    return `No availability sample was taken: the run ${summary.complete ? 'ended' : 'stopped'} at ${reached}, before its first sample.`;
  }
  const incidents = summary.incidents ?? [];
  if (incidents.length > 0) return incidentsHeadline(summary, incidents);
  const drop = largestDrop(samples);
  if (!drop) {
    const unable = unableAtEnd(summary);
    if (samples.every((s) => s.connected >= 1)) {
      return `All ${formatCount(summary.devices)} devices stayed connected at every sample from ${formatInstant(first.t)} to ${formatInstant(last.t)}${unable}.`;
    }
    return (
      `Availability never fell: the connected share of the ${formatCount(summary.devices)} devices went from ${formatShare(first.connected)} ` +
      `to ${formatShare(last.connected)} between ${formatInstant(first.t)} and ${formatInstant(last.t)}${unable}.`
    );
  }
  const cause = dominantCause(summary, drop);
  const why = cause ? `: ${causeText(cause)} (${cause})` : ', with no failed connect in that time';
  return `${formatShare(drop.share)} of devices lost connectivity ${dropTime(summary, drop)}${why}; ${recovery(summary)}.`;
}

function incidentsHeadline(summary: HeadlineSource, incidents: readonly Incident[]): string {
  const told = incidents.length > TOLD_INCIDENTS ? incidents.slice(0, TOLD_INCIDENTS - 1) : incidents;
  const sentences = told.map((incident) => tellIncident(summary, incident));
  const rest = incidents.slice(told.length);
  const lastRest = rest.at(-1);
  if (lastRest) sentences.push(`Then ${rest.length} more incidents until ${formatInstant(lastRest.start)}, each listed below.`);
  const count = incidents.length === 1 ? 'One incident' : `${formatCount(incidents.length)} incidents`;
  return `${count}. ${sentences.join(' ')} ${capitalize(recovery(summary))}.`;
}

/** "From <start>, 15 devices (15.0%) started failing: 10 (10.0%) <cause text> (judge:cause, 973 attempts), ..." */
function tellIncident(summary: HeadlineSource, incident: Incident): string {
  const share = (n: number) => formatShare(summary.devices === 0 ? 0 : n / summary.devices);
  const [lead, ...others] = incident.causes.length > 0 ? incident.causes : [{ cause: incident.cause, devicesAffected: incident.devicesAffected, attempts: incident.attempts }];
  const hit = `${plural(incident.devicesHit, 'device')} (${share(incident.devicesHit)})`;
  const withAttempts = (c: { cause: string; attempts: number }) => `${c.cause}, ${plural(c.attempts, 'attempt')}`;
  const leadText = lead ? `${others.length > 0 ? `${formatCount(lead.devicesAffected)} (${share(lead.devicesAffected)}) ` : ''}${causeText(lead.cause)} (${withAttempts(lead)})` : '';
  const otherText = others.map((c) => `${formatCount(c.devicesAffected)} (${share(c.devicesAffected)}) ${c.cause} (${plural(c.attempts, 'attempt')})`);
  const causes = [leadText, ...otherText].join('; ');
  // Devices back before the next sample leave no trace in the samples: say so rather than "fell to 100.0%".
  const low = incident.lowest.connected >= 1 ? 'no availability sample caught it' : `availability fell to ${formatShare(incident.lowest.connected)} by ${formatInstant(incident.lowest.t)}`;
  return `From ${formatInstant(incident.start)}, ${hit} started failing: ${causes}; ${low}; ${recoveredText(summary, incident)}.`;
}

/** "all 15 connected again by <t>", "none connected again", "10 of 25 connected again, 15 never did". */
export function recoveredText(summary: { complete: boolean }, incident: Incident): string {
  const hit = incident.devicesHit;
  const { devices, lastAt } = incident.recovered;
  const never = summary.complete ? 'never did' : 'had not when the run stopped';
  if (lastAt !== null && devices === hit) return `${hit === 1 ? 'it' : `all ${formatCount(hit)}`} connected again by ${formatInstant(lastAt)}`;
  if (devices === 0) return summary.complete ? 'none connected again' : 'none had connected again when the run stopped';
  return `${formatCount(devices)} of ${formatCount(hit)} connected again, ${formatCount(hit - devices)} ${never}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function largestDrop(samples: readonly { connected: number }[]): AvailabilityDrop | undefined {
  let best: AvailabilityDrop | undefined;
  let start = 0;
  for (let i = 1; i <= samples.length; i += 1) {
    const current = samples[i];
    const previous = samples[i - 1];
    if (current !== undefined && previous !== undefined && current.connected <= previous.connected) continue;
    // samples[start .. i-1] never rise: the drop runs from its last top sample to its first bottom sample.
    const top = samples[start]?.connected ?? 0;
    const bottom = previous?.connected ?? top;
    if (top - bottom > 0 && (!best || top - bottom > best.share)) {
      let from = start;
      while (samples[from + 1]?.connected === top) from += 1;
      let to = from + 1;
      while ((samples[to]?.connected ?? bottom) > bottom) to += 1;
      best = { from, to, share: top - bottom };
    }
    start = i;
  }
  return best;
}

/**
 * "at <marker>" when a marker (an expiry, a scenario event) falls in the interval where the drop was first seen:
 * that is when it began. Otherwise the samples only bound it ("between <top> and <first lower sample>").
 */
function dropTime(summary: HeadlineSource, drop: AvailabilityDrop): string {
  const samples = summary.availability.samples;
  const top = Date.parse(samples[drop.from]?.t ?? '');
  const firstLower = Date.parse(samples[drop.from + 1]?.t ?? '');
  const bottom = Date.parse(samples[drop.to]?.t ?? '');
  // A marker at the top sample's instant counts: a certificate is valid through its notAfter (RFC 5280 4.1.2.5), so
  // an expiry at a sample time shows in the next sample.
  const marker = summary.markers.map((m) => Date.parse(m.t)).find((t) => t >= top && t < firstLower);
  const single = drop.to === drop.from + 1;
  if (marker !== undefined) return single ? `at ${formatInstant(marker)}` : `from ${formatInstant(marker)} to ${formatInstant(bottom)}`;
  return `between ${formatInstant(top)} and ${formatInstant(single ? firstLower : bottom)}`;
}

/** The "judge:cause" with the most failed connects in the sample intervals over which the drop happened. */
function dominantCause(summary: HeadlineSource, drop: AvailabilityDrop): string | undefined {
  const samples = summary.availability.samples;
  const after = Date.parse(samples[drop.from]?.t ?? '');
  const until = Date.parse(samples[drop.to]?.t ?? '');
  const totals = new Map<string, number>();
  for (const interval of summary.activity) {
    const t = Date.parse(interval.t);
    if (t <= after || t > until) continue;
    for (const [key, n] of Object.entries(interval.failures)) totals.set(key, (totals.get(key) ?? 0) + (n ?? 0));
  }
  let best: [string, number] | undefined;
  for (const entry of totals) if (entry[1] > 0 && (!best || entry[1] > best[1])) best = entry;
  return best?.[0];
}

/** The cause's sentence from sim/causes.ts, without its closing aside in parentheses (the key follows anyway). */
export function causeText(judgeCause: string): string {
  const cause = judgeCause.slice(judgeCause.indexOf(':') + 1);
  return isCause(cause) ? CAUSES[cause].replace(/\s*\([^()]*\)$/, '') : `failures with cause ${cause}`;
}

function recovery(summary: HeadlineSource): string {
  const share = summary.devices === 0 ? 0 : summary.unrecovered.devices / summary.devices;
  const reached = formatInstant(summary.timeline.reached);
  if (summary.complete) return share > 0 ? `${formatShare(share)} never recovered` : 'every device could connect again by the end';
  return share > 0
    ? `${formatShare(share)} were still unable to connect when the run stopped at ${reached}`
    : `every device could connect when the run stopped at ${reached}`;
}

function unableAtEnd(summary: HeadlineSource): string {
  if (summary.unrecovered.devices === 0 || summary.devices === 0) return '';
  return `; ${formatShare(summary.unrecovered.devices / summary.devices)} were unable to connect at the end`;
}
