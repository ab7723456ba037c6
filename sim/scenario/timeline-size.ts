import { formatDuration } from '../time/duration.js';
import type { ScenarioProblem } from './check-references.js';
import type { Scenario } from './schema.js';

/**
 * How much work a timeline is, known before anything runs. An epoch ends at every `timeline.step`, availability
 * sample and event (docs/architecture.md, "Epochs"); each sample is a row of summary.json and timeline.csv; each
 * device action is a TLS connect or a rotation. A timeline certfleet cannot finish in reasonable time is refused
 * with the figure, and one that will be slow is warned about, never left to hang.
 */
export const TIMELINE_LIMITS = {
  /** Epochs at most (an upper bound: epochs in which nothing is due are skipped). */
  maxEpochs: 10_000_000,
  warnEpochs: 1_000_000,
  /** 100,000 samples make a summary.json of about 100 MB. */
  maxSamples: 100_000,
  warnSamples: 10_000,
  /** Connects and renewals the fleet's own schedule asks for (failures and retries come on top). */
  maxDeviceActions: 1_000_000_000,
  /** Trust-bundle and certificate deliveries are planned one per device and event, all in memory before the run. */
  maxDeliveries: 10_000_000,
  warnDeviceActions: 10_000_000,
  /** At a finite timeline.speed, the run lasts at least the timeline over the speed. */
  warnWallMs: 24 * 3_600_000,
} as const;

export interface TimelineSize {
  /** Upper bound of the epochs: span / step, plus samples, plus events. */
  epochs: number;
  samples: number;
  /** Connects and renewals scheduled by reconnectEvery, outages and renewal, for fleet.devices devices. */
  deviceActions: number;
  /** Deliveries planned by trust-rollout and push-certificates events (at most one per device and event). */
  deliveries: number;
  /** Wall time at timeline.speed (0 at "max"). */
  wallMs: number;
}

export function timelineSize(scenario: Scenario, devices = scenario.fleet.devices): TimelineSize {
  const { start, end, step, sample, speed } = scenario.timeline;
  const span = Math.max(0, end - start);
  const samples = Math.ceil(span / sample);
  const epochs = Math.ceil(span / step) + samples + scenario.events.length;
  let perDevice = 0;
  for (const cohort of scenario.fleet.cohorts) {
    const { reconnectEvery, outages } = cohort.connectivity;
    let actions = 1;
    if (reconnectEvery !== undefined) actions += span / reconnectEvery;
    for (const outage of outages) actions += span / outage.every;
    // A certificate is renewed at renewal.at of its lifetime (at least every lifetime).
    actions += span / Math.max(1, scenario.pki.deviceCertificates.lifetime * cohort.renewal.at);
    perDevice += cohort.share * actions;
  }
  const deliveringEvents = scenario.events.filter((e) => e.type === 'trust-rollout' || e.type === 'push-certificates').length;
  return { epochs, samples, deviceActions: Math.ceil(perDevice * devices), deliveries: deliveringEvents * devices, wallMs: Number.isFinite(speed) ? (span / speed) * 1000 : 0 };
}

/** The refusals: a timeline too large to finish, with its figure and the fields that make it so. */
export function checkTimelineSize(scenario: Scenario): ScenarioProblem[] {
  const { start, end } = scenario.timeline;
  if (end <= start) return []; // reported by checkReferences
  const size = timelineSize(scenario);
  const problems: ScenarioProblem[] = [];
  if (size.samples > TIMELINE_LIMITS.maxSamples) {
    problems.push({ path: ['timeline', 'sample'], message: `expected at most ${count(TIMELINE_LIMITS.maxSamples)} availability samples, got ${samplesText(scenario, size)}` });
  }
  if (size.epochs > TIMELINE_LIMITS.maxEpochs) {
    problems.push({ path: ['timeline', 'step'], message: `expected a timeline of at most ${count(TIMELINE_LIMITS.maxEpochs)} epochs, got ${epochsText(scenario, size)}` });
  }
  problems.push(...fleetSizeProblems(scenario, scenario.fleet.devices).map((message) => ({ path: ['fleet', 'devices'], message })));
  return problems;
}

/** What is too much at a fleet size (the scenario's own, or --devices): scheduled actions and planned deliveries. */
export function fleetSizeProblems(scenario: Scenario, devices: number): string[] {
  const size = timelineSize(scenario, devices);
  const problems: string[] = [];
  if (size.deviceActions > TIMELINE_LIMITS.maxDeviceActions) {
    problems.push(`expected at most ${count(TIMELINE_LIMITS.maxDeviceActions)} scheduled connects and renewals, got ${actionsText(scenario, size, devices)}`);
  }
  if (size.deliveries > TIMELINE_LIMITS.maxDeliveries) {
    problems.push(
      `expected at most ${count(TIMELINE_LIMITS.maxDeliveries)} planned deliveries, got ${count(size.deliveries)} (${count(devices)} devices times the trust-rollout and push-certificates events)`,
    );
  }
  return problems;
}

/** What will be slow but can finish: one line each, for stderr before the run starts. */
export function timelineWarnings(scenario: Scenario, devices = scenario.fleet.devices): string[] {
  const size = timelineSize(scenario, devices);
  const warnings: string[] = [];
  if (size.samples > TIMELINE_LIMITS.warnSamples) warnings.push(`timeline.sample: ${samplesText(scenario, size)}; summary.json and the report grow with each`);
  if (size.epochs > TIMELINE_LIMITS.warnEpochs) warnings.push(`timeline.step: up to ${epochsText(scenario, size)}; the run may take long`);
  if (size.deviceActions > TIMELINE_LIMITS.warnDeviceActions) {
    warnings.push(`fleet.cohorts: ${actionsText(scenario, size, devices)}; the run may take long`);
  }
  if (size.wallMs > TIMELINE_LIMITS.warnWallMs) {
    warnings.push(`timeline.speed: the run lasts at least ${formatDuration(Math.round(size.wallMs / 1000) * 1000)} of wall time ("max" runs as fast as it can)`);
  }
  return warnings;
}

function samplesText(scenario: Scenario, size: TimelineSize): string {
  return `${count(size.samples)} availability samples (${span(scenario)} every ${formatDuration(scenario.timeline.sample)}, timeline.sample)`;
}

function epochsText(scenario: Scenario, size: TimelineSize): string {
  return `${count(size.epochs)} epochs (${span(scenario)} in steps of ${formatDuration(scenario.timeline.step)}, timeline.step, plus ${count(size.samples)} samples and ${count(scenario.events.length)} events)`;
}

function actionsText(scenario: Scenario, size: TimelineSize, devices = scenario.fleet.devices): string {
  return `${count(size.deviceActions)} scheduled connects and renewals for ${count(devices)} devices over ${span(scenario)} (connectivity.reconnectEvery, connectivity.outages, renewal.at of pki.deviceCertificates.lifetime)`;
}

function span(scenario: Scenario): string {
  const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');
  return `timeline.start ${iso(scenario.timeline.start)} to timeline.end ${iso(scenario.timeline.end)}`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}
