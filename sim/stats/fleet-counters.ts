import type { Cause } from '../causes.js';

/** What a device worker counts for one cohort. Plain numbers, so they add across workers and cross threads. */
export interface CohortCounters {
  /** Every TLS + MQTT connect a device made: operational, the reconnect with a new certificate, bootstrap sessions. */
  connectAttempts: number;
  connectsSucceeded: number;
  /** Failed connects by the device's view of the cause (connection_refused: the broker's record has the precise one). */
  connectFailures: Partial<Record<Cause, number>>;
  /** Failed connects by who judged: attempts = succeeded + these three (docs/architecture.md, "Counting connects"). */
  connectFailuresBySide: Record<ConnectFailureSide, number>;
  rotationsAttempted: number;
  rotationsSucceeded: number;
  rotationsFailed: Partial<Record<Cause, number>>;
  lockedOut: number;
  trustUpdates: Partial<Record<string, number>>;
}

/**
 * Who ended a failed connect: the broker refused it (a CONNACK refusal, or a TLS alert a real broker sent), the device
 * rejected the broker (its own verdict on the server's chain), or the connection failed before anyone judged a
 * certificate (unreachable, reset, timeout).
 */
export type ConnectFailureSide = 'refusedByBroker' | 'rejectedByDevice' | 'transport';

/**
 * Connects with their parts, named by who judged: attempted = succeeded + refusedByBroker + rejectedByDevice +
 * transportFailures. The same numbers in summary.json, summary.md, the report, timeline.csv's last row and metrics.prom.
 */
export interface ConnectTally {
  attempted: number;
  succeeded: number;
  refusedByBroker: number;
  rejectedByDevice: number;
  transportFailures: number;
}

export function connectTally(counters: readonly CohortCounters[]): ConnectTally {
  const tally: ConnectTally = { attempted: 0, succeeded: 0, refusedByBroker: 0, rejectedByDevice: 0, transportFailures: 0 };
  for (const c of counters) {
    tally.attempted += c.connectAttempts;
    tally.succeeded += c.connectsSucceeded;
    tally.refusedByBroker += c.connectFailuresBySide.refusedByBroker;
    tally.rejectedByDevice += c.connectFailuresBySide.rejectedByDevice;
    tally.transportFailures += c.connectFailuresBySide.transport;
  }
  return tally;
}

/** Device status at a sample time. */
export interface StatusCounts {
  connected: number;
  /** Trying to connect and failing. */
  failing: number;
  /** In a planned outage: not trying. */
  offline: number;
  /** Past their renewal point and not yet renewed (whatever their connection). */
  renewalBacklog: number;
}

export function emptyCohortCounters(): CohortCounters {
  return {
    connectAttempts: 0,
    connectsSucceeded: 0,
    connectFailures: {},
    connectFailuresBySide: { refusedByBroker: 0, rejectedByDevice: 0, transport: 0 },
    rotationsAttempted: 0,
    rotationsSucceeded: 0,
    rotationsFailed: {},
    lockedOut: 0,
    trustUpdates: {},
  };
}

export function emptyStatusCounts(): StatusCounts {
  return { connected: 0, failing: 0, offline: 0, renewalBacklog: 0 };
}

/** Several parts of the fleet at the end of one epoch, as one: the earliest next action, status summed per cohort. */
export function mergeEpochResults(
  cohorts: number,
  parts: readonly { nextDueAt: number; status: readonly StatusCounts[]; offlineNotices: number }[],
): { nextDueAt: number; status: StatusCounts[]; offlineNotices: number } {
  const status = Array.from({ length: cohorts }, () => emptyStatusCounts());
  let nextDueAt = Number.POSITIVE_INFINITY;
  let offlineNotices = 0;
  for (const part of parts) {
    nextDueAt = Math.min(nextDueAt, part.nextDueAt);
    offlineNotices += part.offlineNotices;
    part.status.forEach((s, i) => {
      const into = status[i];
      if (!into) return;
      into.connected += s.connected;
      into.failing += s.failing;
      into.offline += s.offline;
      into.renewalBacklog += s.renewalBacklog;
    });
  }
  return { nextDueAt, status, offlineNotices };
}

export function increment<K extends string>(record: Partial<Record<K, number>>, key: K, by = 1): void {
  record[key] = (record[key] ?? 0) + by;
}

/** Adds `from` into `into`, field by field. */
export function addCohortCounters(into: CohortCounters, from: CohortCounters): void {
  into.connectAttempts += from.connectAttempts;
  into.connectsSucceeded += from.connectsSucceeded;
  into.rotationsAttempted += from.rotationsAttempted;
  into.rotationsSucceeded += from.rotationsSucceeded;
  into.lockedOut += from.lockedOut;
  addRecord(into.connectFailures, from.connectFailures);
  addRecord(into.connectFailuresBySide, from.connectFailuresBySide);
  addRecord(into.rotationsFailed, from.rotationsFailed);
  addRecord(into.trustUpdates, from.trustUpdates);
}

export function addRecord<K extends string>(into: Partial<Record<K, number>>, from: Partial<Record<K, number>>): void {
  for (const [key, value] of Object.entries(from) as [K, number][]) increment(into, key, value);
}

export function sumValues(record: Partial<Record<string, number>>): number {
  return Object.values(record).reduce<number>((a, b) => a + (b ?? 0), 0);
}
