import type { Cause, Judge } from '../causes.js';
import type { RunSummary } from '../results/run-summary.js';

/**
 * What a threshold can check: every metric name, what it means, its unit, and how to read it from a run summary.
 * Thresholds, reports and error messages all take their names from here, so a new metric is one entry.
 */

/** share: 0..1 (written as "99.5%" or 0.995); ms: wall milliseconds (written as "2s", "500ms" or 2000); count. */
export type MetricUnit = 'share' | 'ms' | 'count';

/**
 * What may follow the name in brackets: nothing; a cause (`rotationFailures[rotation_timeout]`); or a cause
 * optionally with the judge that reached it (`failures[expired_root]`, `failures[broker:expired_leaf]`).
 */
export type MetricArgumentKind = 'none' | 'cause' | 'judged-cause' | 'optional-judged-cause';

/** A bracketed argument after validation. */
export interface MetricArgument {
  cause: Cause;
  /** Only this judge's verdicts; every judge's when absent. */
  judge?: Judge;
}

export interface MetricScope {
  argument?: MetricArgument | undefined;
  /** Only this cohort; the whole fleet when absent. */
  cohort?: string | undefined;
}

export interface MetricDefinition {
  name: string;
  description: string;
  unit: MetricUnit;
  argument: MetricArgumentKind;
  /** Whether the summary has this metric per cohort. */
  perCohort: boolean;
  /**
   * The metric's value in a summary, or undefined when the run measured nothing it applies to (no availability
   * sample, no rotation completed): a threshold on a value that does not exist fails rather than passes.
   */
  extract(summary: MetricSource, scope: MetricScope): number | undefined;
}

/** The parts of a run summary that metrics read (tests build just these). */
export type MetricSource = Pick<
  RunSummary,
  'rotations' | 'connects' | 'failures' | 'cohorts' | 'lockedOut' | 'unrecovered' | 'availability' | 'harness'
> &
  Partial<Pick<RunSummary, 'faults'>>;

type FaultSummaries = NonNullable<MetricSource['faults']>;

/** A count over every injected fault of the run (no value when the scenario injects none). */
function faultCount(name: string, description: string, read: (f: FaultSummaries[number]) => number): MetricDefinition {
  return {
    name,
    description,
    unit: 'count',
    argument: 'none',
    perCohort: false,
    extract: (summary) => (summary.faults?.length ? summary.faults.reduce((sum, f) => sum + read(f), 0) : undefined),
  };
}

type FailureTallies = RunSummary['failures']['byCause'];

const definitions: MetricDefinition[] = [
  {
    name: 'availability.min',
    description: 'lowest share of devices connected over the availability samples (timeline.sample, daily by default)',
    unit: 'share',
    argument: 'none',
    perCohort: true,
    extract: (summary, { cohort }) => {
      const shares = availabilityShares(summary, cohort);
      return shares.length === 0 ? undefined : Math.min(...shares);
    },
  },
  {
    name: 'availability.final',
    description: 'share of devices connected at the last availability sample',
    unit: 'share',
    argument: 'none',
    perCohort: true,
    extract: (summary, { cohort }) => availabilityShares(summary, cohort).at(-1),
  },
  {
    name: 'lockedOut',
    description: 'devices whose certificate expired before they renewed it, with no way to recover',
    unit: 'count',
    argument: 'none',
    perCohort: true,
    extract: (summary, { cohort }) => (cohort === undefined ? summary.lockedOut : summary.cohorts[cohort]?.lockedOut),
  },
  {
    name: 'unrecovered',
    description: 'devices whose last connect attempt failed: unable to connect at the end of the run',
    unit: 'count',
    argument: 'none',
    perCohort: true,
    extract: (summary, { cohort }) =>
      cohort === undefined ? summary.unrecovered.devices : summary.unrecovered.list.filter((d) => d.cohort === cohort).length,
  },
  ...(['attempted', 'succeeded', 'failed'] as const).map(
    (field): MetricDefinition => ({
      name: `rotations.${field}`,
      description: `certificate rotations ${field}`,
      unit: 'count',
      argument: 'none',
      perCohort: true,
      extract: (summary, { cohort }) => rotationCounts(summary, cohort)?.[field],
    }),
  ),
  {
    name: 'rotations.successRate',
    description: 'share of attempted rotations that succeeded (no value when none was attempted)',
    unit: 'share',
    argument: 'none',
    perCohort: true,
    extract: (summary, { cohort }) => {
      const counts = rotationCounts(summary, cohort);
      return counts === undefined || counts.attempted === 0 ? undefined : counts.succeeded / counts.attempted;
    },
  },
  ...(['p50', 'p95', 'p99'] as const).map(
    (p): MetricDefinition => ({
      name: `rotation.latency.${p}`,
      description: `rotation latency ${p}, CSR to reconnected with the new certificate, in wall ms (no value when no rotation completed)`,
      unit: 'ms',
      argument: 'none',
      perCohort: false,
      extract: (summary) => (summary.rotations.latencyMs.count === 0 ? undefined : summary.rotations.latencyMs[p]),
    }),
  ),
  ...(['p50', 'p95', 'p99'] as const).map(
    (p): MetricDefinition => ({
      name: `connect.latency.${p}`,
      description: `connect latency ${p}, TLS handshake to CONNACK, in wall ms (no value when no connect completed)`,
      unit: 'ms',
      argument: 'none',
      perCohort: false,
      extract: (summary) => (summary.connects.latencyMs.count === 0 ? undefined : summary.connects.latencyMs[p]),
    }),
  ),
  {
    name: 'failures',
    description: 'failed connect attempts, all of them or those with one cause (any judge, or "judge:cause")',
    unit: 'count',
    argument: 'optional-judged-cause',
    perCohort: true,
    extract: (summary, { cohort, argument }) => sumTallies(failureTallies(summary, cohort), argument, 'count'),
  },
  {
    name: 'failedDevices',
    description:
      'devices that saw a failed connect with this cause; without a judge, the devices of each judge are added up',
    unit: 'count',
    argument: 'judged-cause',
    perCohort: true,
    extract: (summary, { cohort, argument }) => sumTallies(failureTallies(summary, cohort), argument, 'devices'),
  },
  {
    name: 'rotationFailures',
    description: 'failed rotations with this cause',
    unit: 'count',
    argument: 'cause',
    perCohort: true,
    extract: (summary, { cohort, argument }) => {
      if (argument === undefined) return undefined;
      if (cohort === undefined) return summary.rotations.failuresByCause[argument.cause]?.count ?? 0;
      const counts = summary.cohorts[cohort]?.rotations.failuresByCause;
      return counts === undefined ? undefined : (counts[argument.cause] ?? 0);
    },
  },
  faultCount('faults.messagesLost', 'cloud-to-device messages lost to message-loss faults', (f) => f.messages.lost),
  faultCount('faults.messagesSent', 'cloud-to-device messages sent during message-loss faults (lost or not)', (f) => f.messages.sent),
  faultCount('faults.requestsRefused', 'CSRs the CA answered with 503 during ca-unavailable faults', (f) => f.requests.refused),
  faultCount('faults.requestsDelayed', 'CSRs the CA served late during ca-slow faults', (f) => f.requests.delayed),
  faultCount('faults.connectsFailed', 'connects that found the broker unreachable during partitions', (f) => f.connects.failed),
  faultCount('faults.devicesAffected', 'devices an injected fault affected, added up over the faults', (f) => f.devicesAffected),
  faultCount('faults.unrecovered', 'devices a fault affected that had not recovered when the run stopped, added up over the faults', (f) => f.recovery.unrecoveredDevices),
  {
    name: 'recovery.seconds',
    description:
      'simulated seconds from the end of a fault (a kill: its instant) until every device it affected recovered, the longest over the faults (no value when a fault left devices unrecovered, or none was injected)',
    unit: 'count',
    argument: 'none',
    perCohort: false,
    extract: (summary) => {
      const seconds = (summary.faults ?? []).map((f) => f.recovery.seconds);
      return seconds.length === 0 || seconds.some((s) => s === null) ? undefined : Math.max(...(seconds as number[]));
    },
  },
  {
    name: 'harness.lateEpochs',
    description: 'epochs that ended behind the pace timeline.speed asked for (the harness, not the fleet, fell behind)',
    unit: 'count',
    argument: 'none',
    perCohort: false,
    extract: (summary) => summary.harness.lateEpochs,
  },
  {
    name: 'harness.devicesRestarted',
    description: 'devices whose process died mid-run and was replaced (--on-device-crash restart), rebooted with factory credentials',
    unit: 'count',
    argument: 'none',
    perCohort: false,
    extract: (summary) => summary.harness.devicesRestarted ?? 0,
  },
];

export const METRICS: ReadonlyMap<string, MetricDefinition> = new Map(definitions.map((d) => [d.name, d]));

/** The metric names as a person writes them: "availability.min", ..., "failures[<cause>]". */
export function metricSpellings(): string[] {
  return definitions.flatMap((d) => {
    switch (d.argument) {
      case 'none':
        return [d.name];
      case 'optional-judged-cause':
        return [d.name, `${d.name}[<cause>]`];
      default:
        return [`${d.name}[<cause>]`];
    }
  });
}

/** A metric value for people: 0.998 -> "99.8%", 412 -> "412 ms", 3 -> "3". */
export function formatMetricValue(unit: MetricUnit, value: number): string {
  switch (unit) {
    case 'share':
      return `${Number((value * 100).toFixed(2))}%`;
    case 'ms':
      return `${Number(value.toFixed(1))} ms`;
    case 'count':
      return String(Number(value.toFixed(4)));
  }
}

function availabilityShares(summary: MetricSource, cohort: string | undefined): number[] {
  return summary.availability.samples
    .map((s) => (cohort === undefined ? s.connected : s.cohorts[cohort]))
    .filter((share): share is number => share !== undefined);
}

function rotationCounts(summary: MetricSource, cohort: string | undefined) {
  return cohort === undefined ? summary.rotations : summary.cohorts[cohort]?.rotations;
}

function failureTallies(summary: MetricSource, cohort: string | undefined): FailureTallies {
  return cohort === undefined ? summary.failures.byCause : (summary.failures.byCohort[cohort] ?? {});
}

/** Adds up the tallies (keyed "judge:cause") that match the argument; all of them without one. */
function sumTallies(tallies: FailureTallies, argument: MetricArgument | undefined, field: 'count' | 'devices'): number {
  let total = 0;
  for (const [key, tally] of Object.entries(tallies)) {
    const [judge, cause] = key.split(':');
    const matches = argument === undefined || (cause === argument.cause && (argument.judge === undefined || judge === argument.judge));
    if (matches) total += tally[field];
  }
  return total;
}
