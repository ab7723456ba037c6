import type { Histogram } from 'hdr-histogram-js';
import { AUDIT_CHECKS, type AuditCheck, type AuditFinding } from '../audit/audit-checks.js';
import type { Scenario } from '../scenario/schema.js';
import type { BrokerStats } from '../stats/broker-stats.js';
import type { BrokerDescription } from './broker-description.js';
import { addCohortCounters, addRecord, emptyCohortCounters, sumValues, type CohortCounters, type StatusCounts } from '../stats/fleet-counters.js';
import { cumulativeDistribution } from '../stats/cumulative-distribution.js';
import type { ActivitySample } from './activity-series.js';
import type { CauseTally, DeviceOutcome, FailureTally } from './failure-tally.js';
import type { FaultSummary } from './fault-tally.js';
import type { TimelineMarker } from './timeline-markers.js';

export interface AvailabilitySample {
  t: number;
  /** Per cohort, in scenario order. */
  cohorts: StatusCounts[];
}

export interface AuditSample {
  t: number;
  findings: AuditFinding[];
}

/** A device process that died mid-run and was replaced (--on-device-crash restart): its devices rebooted at t. */
export interface HarnessRestart {
  t: number;
  process: number;
  devices: number;
  reason: string;
  /** Who took the devices over, when another machine's agent did (--on-agent-loss reassign). */
  replacement?: string | undefined;
}

export interface SummaryInput {
  complete: boolean;
  interruption?: string | undefined;
  scenario: Scenario;
  seed: number;
  devices: number;
  /** Devices per cohort, in scenario order. */
  cohortSizes: number[];
  reached: number;
  wallMs: number;
  epochs: number;
  counters: CohortCounters[];
  histograms: { rotation: Histogram; connect: Histogram };
  broker: BrokerStats;
  /** The broker target the run ran against (named in summary.json's broker with its counts). */
  brokerTarget: BrokerDescription;
  tally: FailureTally;
  availability: AvailabilitySample[];
  /** Rotations and failures per sample interval, aligned with `availability`. */
  activity: ActivitySample[];
  /** Certificate expiries and scenario events on the timeline. */
  markers: TimelineMarker[];
  audits: AuditSample[];
  auditSettings: { deviceCertificateExpiringDays: number; caCertificateExpiringDays: number };
  harness: { speed: number; lateEpochs: number; maxLagMs: number; finalLagMs: number; restarts?: HarnessRestart[] | undefined };
  deliveries: { pushed: number; queued: number };
  /** The scenario's injected faults, each with its effect and recovery (sim/results/fault-tally.ts). */
  faults?: FaultSummary[] | undefined;
}

export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** The run's numbers, as written to summary.json. Times are ISO strings; durations are wall milliseconds. */
export function buildSummary(input: SummaryInput) {
  const cohortNames = input.scenario.fleet.cohorts.map((c) => c.name);
  const total = emptyCohortCounters();
  input.counters.forEach((c) => addCohortCounters(total, c));
  const wallSeconds = input.wallMs / 1000;
  const rotationsFailed = sumValues(total.rotationsFailed);
  const brokerRefusals = sumValues(input.broker.refused);
  return {
    complete: input.complete,
    ...(input.interruption ? { interruption: input.interruption } : {}),
    scenario: input.scenario.name,
    seed: input.seed,
    devices: input.devices,
    timeline: {
      start: iso(input.scenario.timeline.start),
      end: iso(input.scenario.timeline.end),
      reached: iso(input.reached),
    },
    wall: { seconds: round(wallSeconds, 2), epochs: input.epochs },
    rotations: {
      attempted: total.rotationsAttempted,
      succeeded: total.rotationsSucceeded,
      failed: rotationsFailed,
      /** Failed rotations by cause: how many, how many devices, first and last (true time). */
      failuresByCause: formatTallies(input.tally.rotationFailures()),
      throughputPerWallSecond: round(total.rotationsSucceeded / Math.max(wallSeconds, 1e-9), 1),
      latencyMs: { ...percentiles(input.histograms.rotation), distribution: cumulativeDistribution(input.histograms.rotation) },
    },
    connects: {
      attempted: total.connectAttempts,
      succeeded: total.connectsSucceeded,
      perWallSecond: round(total.connectAttempts / Math.max(wallSeconds, 1e-9), 1),
      latencyMs: percentiles(input.histograms.connect),
      refusedByBroker: brokerRefusals,
    },
    failures: {
      byCause: formatTallies(input.tally.overall()),
      byCohort: Object.fromEntries(
        cohortNames.map((name) => [name, formatTallies(input.tally.byCohort()[name] ?? {})]),
      ),
    },
    cohorts: Object.fromEntries(
      cohortNames.map((name, i) => {
        const c = input.counters[i] ?? emptyCohortCounters();
        return [
          name,
          {
            devices: input.cohortSizes[i] ?? 0,
            connects: { attempted: c.connectAttempts, succeeded: c.connectsSucceeded },
            rotations: {
              attempted: c.rotationsAttempted,
              succeeded: c.rotationsSucceeded,
              failed: sumValues(c.rotationsFailed),
              /** Failed rotations of this cohort by cause (the worker's counters; the fleet-wide tally is in rotations). */
              failuresByCause: sortedRecord(c.rotationsFailed),
            },
            lockedOut: c.lockedOut,
            trustUpdates: sortedRecord(c.trustUpdates),
          },
        ];
      }),
    ),
    lockedOut: total.lockedOut,
    unrecovered: summarizeUnrecovered(input.tally.unrecovered()),
    broker: { ...input.brokerTarget, ...brokerTotals(input.broker) },
    deliveries: input.deliveries,
    availability: availabilitySeries(input.availability, cohortNames, input.cohortSizes),
    /** Per sample interval [t - sample, t): rotations and failures by judge:cause. */
    activity: input.activity.map((a) => ({ t: iso(a.t), rotationsSucceeded: a.rotationsSucceeded, rotationsFailed: a.rotationsFailed, failures: sortedRecord(a.failures) })),
    markers: input.markers.map((m) => ({ ...m, t: iso(m.t) })),
    faults: input.faults ?? [],
    audits: auditSeries(input.audits, input.auditSettings),
    harness: {
      /** Simulated ms per wall second the scenario asked for ("max": as fast as possible). */
      speed: Number.isFinite(input.harness.speed) ? input.harness.speed : ('max' as const),
      /** Epochs that ended behind that pace, and by how much (wall ms). */
      lateEpochs: input.harness.lateEpochs,
      maxLagMs: Math.round(input.harness.maxLagMs),
      finalLagMs: Math.round(input.harness.finalLagMs),
      ...restartTotals(input.harness.restarts ?? []),
    },
  };
}

export type RunSummary = ReturnType<typeof buildSummary>;

/**
 * Devices whose process died and was replaced, and each replacement. Always written by this version; optional in
 * the type because summaries written before it lack them.
 */
function restartTotals(restarts: HarnessRestart[]): { devicesRestarted?: number; restarts?: { t: string; process: number; devices: number; reason: string }[] } {
  return {
    devicesRestarted: restarts.reduce((sum, r) => sum + r.devices, 0),
    restarts: restarts.map((r) => ({ t: iso(r.t), process: r.process, devices: r.devices, reason: r.reason })),
  };
}

/** The broker's counts over the run (how many sessions happened to be open at the end says nothing). */
function brokerTotals(stats: BrokerStats) {
  const { connected: _openAtEnd, ...totals } = stats;
  return { ...totals, refused: sortedRecord(stats.refused) };
}

export function percentiles(histogram: Histogram): Percentiles {
  if (histogram.totalCount === 0) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  return {
    count: histogram.totalCount,
    p50: histogram.getValueAtPercentile(50),
    p95: histogram.getValueAtPercentile(95),
    p99: histogram.getValueAtPercentile(99),
    max: histogram.maxValue,
  };
}

function formatTallies(tallies: Record<string, CauseTally>) {
  return Object.fromEntries(
    Object.entries(tallies)
      .sort(([, a], [, b]) => b.count - a.count)
      .map(([key, t]) => [
        key,
        { count: t.count, devices: t.devices, first: iso(t.first), last: iso(t.last), ...(t.inferredFrom ? { inferredFrom: t.inferredFrom } : {}) },
      ]),
  );
}

function summarizeUnrecovered(outcomes: DeviceOutcome[]) {
  const byCause: Partial<Record<string, number>> = {};
  for (const o of outcomes) addRecord(byCause, { [`${o.lastJudge}:${o.lastCause}`]: 1 });
  return {
    devices: outcomes.length,
    byCause: sortedRecord(byCause),
    list: outcomes.map((o) => ({
      device: o.device,
      cohort: o.cohort,
      cause: `${o.lastJudge}:${o.lastCause}`,
      since: iso(o.since),
      ...(o.inferredFrom === undefined ? {} : { inferredFrom: o.inferredFrom }),
    })),
  };
}

function availabilitySeries(samples: AvailabilitySample[], cohortNames: string[], sizes: number[]) {
  const fleet = sizes.reduce((a, b) => a + b, 0);
  const share = (n: number, of: number) => (of === 0 ? 0 : round(n / of, 4));
  const series = samples.map((s) => {
    const connected = s.cohorts.reduce((a, c) => a + c.connected, 0);
    const failing = s.cohorts.reduce((a, c) => a + c.failing, 0);
    const offline = s.cohorts.reduce((a, c) => a + c.offline, 0);
    const renewalBacklog = s.cohorts.reduce((a, c) => a + c.renewalBacklog, 0);
    return {
      t: iso(s.t),
      connected: share(connected, fleet),
      failing: share(failing, fleet),
      offline: share(offline, fleet),
      /** Devices past their renewal point and not yet renewed (a count, not a share). */
      renewalBacklog,
      cohorts: Object.fromEntries(cohortNames.map((name, i) => [name, share(s.cohorts[i]?.connected ?? 0, sizes[i] ?? 0)])),
    };
  });
  const lowest = series.reduce<(typeof series)[number] | undefined>((low, s) => (!low || s.connected < low.connected ? s : low), undefined);
  return {
    /** Share of the fleet connected at each sample; failing = trying and failing; offline = planned outage. */
    samples: series,
    lowest: lowest ? { t: lowest.t, connected: lowest.connected } : undefined,
    final: series.at(-1),
  };
}

/**
 * Per check: its severity, the count at every sample, when it first found something and the resources it names at
 * the end. The resources at every sample are in audits.ndjson.
 */
function auditSeries(samples: AuditSample[], settings: SummaryInput['auditSettings']) {
  const checks = Object.keys(AUDIT_CHECKS) as AuditCheck[];
  const final = samples.at(-1);
  return {
    settings,
    checks: Object.fromEntries(
      checks.map((check) => {
        const counts = samples.map((s) => s.findings.find((f) => f.check === check)?.resources.length ?? 0);
        const first = samples.find((s) => s.findings.some((f) => f.check === check));
        return [
          check,
          {
            ...AUDIT_CHECKS[check],
            max: Math.max(0, ...counts),
            firstFound: first ? iso(first.t) : null,
            final: final?.findings.find((f) => f.check === check)?.resources ?? [],
            series: samples.map((s, i) => ({ t: iso(s.t), count: counts[i] ?? 0 })),
          },
        ];
      }),
    ),
  };
}

function sortedRecord(record: Partial<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(record)
      .filter((entry): entry is [string, number] => (entry[1] ?? 0) > 0)
      .sort(([, a], [, b]) => b - a),
  );
}

export function iso(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString() : String(t);
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
