import type { FleetEvent } from '../events/fleet-event.js';
import type { PlannedFault } from '../plan/fault-plan.js';
import type { FaultKind } from '../scenario/fault-schema.js';
import type { StatusCounts } from '../stats/fleet-counters.js';

/** One injected fault in summary.json: its window, what it did, and how long the fleet took to recover. */
export interface FaultSummary {
  fault: number;
  kind: FaultKind;
  label: string;
  from: string;
  to: string;
  /** Cloud-to-device messages sent in a loss window, and those lost. */
  messages: { sent: number; lost: number };
  /** CSRs the CA refused (503) or served late. */
  requests: { refused: number; delayed: number };
  /** Connects that failed in a partition, and sessions the partition dropped at its start. */
  connects: { failed: number };
  sessionsDropped: number;
  devicesAffected: number;
  recovery: {
    /** Simulated seconds from the fault's end (a kill: its instant) until the last affected device recovered (0 if all did by then). */
    seconds: number | null;
    recoveredDevices: number;
    /** Affected devices that had not recovered when the run stopped. */
    unrecoveredDevices: number;
    /** Fleet share connected at the last sample before the fault, and the first sample after it at that level again. */
    availabilityBefore: number | null;
    availabilityBackAt: string | null;
  };
}

interface Counts {
  sent: number;
  lost: number;
  refused: number;
  delayed: number;
  connectsFailed: number;
  sessionsDropped: number;
  affected: Set<string>;
  /** Device -> the true time the fault last touched it. */
  lastHit: Map<string, number>;
  /** Device -> the true time it recovered: its first success at or after the fault last touched it. */
  recovered: Map<string, number>;
}

const noCounts = (): Counts => ({ sent: 0, lost: 0, refused: 0, delayed: 0, connectsFailed: 0, sessionsDropped: 0, affected: new Set(), lastHit: new Map(), recovered: new Map() });

/**
 * Tallies the `fault.effect` events per fault as they arrive, and each affected device's recovery: the first success
 * of the kind the fault hit after the fault last touched it. A partition or kill is over for a device at its next
 * connect; a CA fault at its next certificate issued; a lost message at its next rotation or trust update. The
 * fault's recovery time runs from its end (a kill: its instant) to the last device's recovery, 0 when every device
 * recovered inside the window.
 */
export class FaultTally {
  readonly #faults: readonly PlannedFault[];
  readonly #counts: Counts[];
  /** Client id -> device ids (a partition names sessions by client id; devices name themselves). */
  readonly #devicesOf: Map<string, string[]>;

  constructor(faults: readonly PlannedFault[], devices: readonly { id: string; clientId: string }[]) {
    this.#faults = faults;
    this.#counts = faults.map(noCounts);
    this.#devicesOf = new Map();
    for (const d of devices) this.#devicesOf.set(d.clientId, [...(this.#devicesOf.get(d.clientId) ?? []), d.id]);
  }

  add(event: FleetEvent): void {
    if (this.#faults.length === 0) return;
    if (event.type === 'fault.effect') {
      const counts = this.#counts[event.fault];
      if (!counts) return;
      const devices = event.effect === 'session-dropped' ? (this.#devicesOf.get(event.device) ?? [event.device]) : [event.device];
      switch (event.effect) {
        case 'message-delivered':
          counts.sent += 1;
          return;
        case 'message-lost':
          counts.sent += 1;
          counts.lost += 1;
          break;
        case 'request-refused':
          counts.refused += 1;
          break;
        case 'request-delayed':
          counts.delayed += 1;
          break;
        case 'connect-failed':
          counts.connectsFailed += 1;
          break;
        case 'session-dropped':
          counts.sessionsDropped += 1;
          break;
        case 'process-killed':
          break;
      }
      for (const d of devices) {
        counts.affected.add(d);
        counts.lastHit.set(d, Math.max(event.t, counts.lastHit.get(d) ?? event.t));
        // Touched again after it had recovered: it recovers anew. (Events of different sources may arrive out of order.)
        if ((counts.recovered.get(d) ?? Infinity) < event.t) counts.recovered.delete(d);
      }
      return;
    }
    const success = successOf(event);
    if (!success) return;
    this.#faults.forEach((f, i) => {
      const counts = this.#counts[i];
      const hit = counts?.lastHit.get(success.device);
      if (!counts || hit === undefined || !success.kinds.includes(f.kind) || success.t < hit) return;
      if (!counts.recovered.has(success.device)) counts.recovered.set(success.device, success.t);
    });
  }

  summaries(availability: readonly { t: number; cohorts: StatusCounts[] }[], fleetSize: number): FaultSummary[] {
    return this.#faults.map((f, i) => {
      const c = this.#counts[i] ?? noCounts();
      const reference = referenceTime(f);
      const recoveredAt = [...c.affected].map((d) => c.recovered.get(d));
      const recovered = recoveredAt.filter((t): t is number => t !== undefined);
      const allRecovered = recovered.length === c.affected.size;
      // A device that recovered inside the window (a slow CA's delayed certificate served before its end) adds nothing.
      const latest = recovered.reduce((a, b) => Math.max(a, b), reference);
      return {
        fault: f.index,
        kind: f.kind,
        label: f.label,
        from: new Date(f.from).toISOString(),
        to: new Date(f.to).toISOString(),
        messages: { sent: c.sent, lost: c.lost },
        requests: { refused: c.refused, delayed: c.delayed },
        connects: { failed: c.connectsFailed },
        sessionsDropped: c.sessionsDropped,
        devicesAffected: c.affected.size,
        recovery: {
          seconds: allRecovered ? (latest - reference) / 1000 : null,
          recoveredDevices: recovered.length,
          unrecoveredDevices: c.affected.size - recovered.length,
          ...availabilityRecovery(availability, fleetSize, f.from, reference),
        },
      };
    });
  }
}

/** A fault is over at its end; a kill, at its instant. Recovery is counted from there. */
function referenceTime(f: PlannedFault): number {
  return f.kind === 'process-kill' ? f.from : f.to;
}


function successOf(event: FleetEvent): { device: string; t: number; kinds: FaultKind[] } | undefined {
  switch (event.type) {
    case 'device.connect':
      return event.cause === 'ok' ? { device: event.device, t: event.t, kinds: ['partition', 'process-kill'] } : undefined;
    case 'broker.issuance':
      return event.ok ? { device: event.device, t: event.t, kinds: ['ca-unavailable', 'ca-slow'] } : undefined;
    case 'device.rotation':
      return event.outcome === 'succeeded' ? { device: event.device, t: event.t, kinds: ['message-loss'] } : undefined;
    case 'device.trust-update':
      return { device: event.device, t: event.t, kinds: ['message-loss'] };
    default:
      return undefined;
  }
}

function availabilityRecovery(samples: readonly { t: number; cohorts: StatusCounts[] }[], fleetSize: number, from: number, reference: number) {
  const connected = (s: { cohorts: StatusCounts[] }) => s.cohorts.reduce((a, c) => a + c.connected, 0);
  const before = [...samples].reverse().find((s) => s.t <= from);
  if (!before || fleetSize === 0) return { availabilityBefore: null, availabilityBackAt: null };
  const level = connected(before);
  const back = samples.find((s) => s.t >= reference && connected(s) >= level);
  return { availabilityBefore: Math.round((level / fleetSize) * 10_000) / 10_000, availabilityBackAt: back ? new Date(back.t).toISOString() : null };
}
