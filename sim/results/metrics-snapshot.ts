import type { BrokerStats } from '../stats/broker-stats.js';
import type { ConnectTally, StatusCounts } from '../stats/fleet-counters.js';
import type { JudgedRunSummary } from '../thresholds/evaluate-thresholds.js';
import type { LiveCounts } from './live-counts.js';

/** A cohort's devices and their status at one moment. */
export interface CohortStatus {
  name: string;
  devices: number;
  connected: number;
  failing: number;
  offline: number;
}

/**
 * The fleet's numbers at one moment, as the Prometheus metrics expose them: during the run from the coordinator, the
 * broker and the recorder's live counts; at the end from the summary. The fields only known at the end are absent
 * while the run goes on.
 */
export interface MetricsSnapshot {
  /** True time reached, ms since the epoch. */
  t: number;
  /** Share of the timeline done. */
  fraction: number;
  cohorts: CohortStatus[];
  renewalBacklog: number;
  rotations: { succeeded: number; failed: number };
  /** Failed connects by "judge:cause". */
  failures: Partial<Record<string, number>>;
  connects: ConnectTally;
  certificatesIssued: number;
  /** Broker refusals by cause. */
  brokerRefusals: Partial<Record<string, number>>;
  end?: {
    complete: boolean;
    thresholdsFailed: number;
    rotationLatencyMs: LatencyQuantiles;
    connectLatencyMs: LatencyQuantiles;
    /** Audit findings per check at the last sample. */
    audits: Partial<Record<string, number>>;
  };
}

/** Wall-time latency quantiles; none when nothing was measured. */
export interface LatencyQuantiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
}

/** The run so far: the coordinator's status at the end of an epoch, the broker's counts and the recorder's. */
export function liveSnapshot(input: {
  t: number;
  fraction: number;
  status: readonly StatusCounts[];
  broker: BrokerStats;
  live: LiveCounts;
  cohorts: readonly { name: string; devices: number }[];
}): MetricsSnapshot {
  return {
    t: input.t,
    fraction: input.fraction,
    cohorts: input.cohorts.map((c, i) => cohortStatus(c, input.status[i])),
    renewalBacklog: input.status.reduce((a, s) => a + s.renewalBacklog, 0),
    rotations: { succeeded: input.live.rotationsSucceeded, failed: input.live.rotationsFailed },
    failures: input.live.failures,
    connects: input.live.connects,
    certificatesIssued: input.broker.issued,
    brokerRefusals: input.broker.refused,
  };
}

/**
 * The finished run, from its summary. Device status is counted at the last availability sample (`finalStatus`, per
 * cohort in scenario order): the summary holds it as shares.
 */
export function finalSnapshot(summary: JudgedRunSummary, finalStatus: readonly StatusCounts[] | undefined): MetricsSnapshot {
  const start = Date.parse(summary.timeline.start);
  const reached = Date.parse(summary.timeline.reached);
  const span = Date.parse(summary.timeline.end) - start;
  const cohorts = Object.entries(summary.cohorts).map(([name, c], i) => cohortStatus({ name, devices: c.devices }, finalStatus?.[i]));
  const audits = Object.fromEntries(Object.entries(summary.audits.checks).map(([check, a]) => [check, a?.series.at(-1)?.count ?? 0]));
  return {
    t: reached,
    fraction: span > 0 ? (reached - start) / span : 1,
    cohorts,
    renewalBacklog: summary.availability.final?.renewalBacklog ?? 0,
    rotations: { succeeded: summary.rotations.succeeded, failed: summary.rotations.failed },
    failures: Object.fromEntries(Object.entries(summary.failures.byCause).map(([key, tally]) => [key, tally.count])),
    connects: {
      attempted: summary.connects.attempted,
      succeeded: summary.connects.succeeded,
      refusedByBroker: summary.connects.refusedByBroker,
      // Runs written before the parts were counted have none: every failure is then unattributed.
      rejectedByDevice: summary.connects.rejectedByDevice ?? 0,
      transportFailures: summary.connects.transportFailures ?? 0,
    },
    certificatesIssued: summary.broker.issued,
    brokerRefusals: summary.broker.refused,
    end: {
      complete: summary.complete,
      thresholdsFailed: summary.thresholds.filter((r) => !r.passed).length,
      rotationLatencyMs: summary.rotations.latencyMs,
      connectLatencyMs: summary.connects.latencyMs,
      audits,
    },
  };
}

function cohortStatus(cohort: { name: string; devices: number }, status: StatusCounts | undefined): CohortStatus {
  return { name: cohort.name, devices: cohort.devices, connected: status?.connected ?? 0, failing: status?.failing ?? 0, offline: status?.offline ?? 0 };
}
