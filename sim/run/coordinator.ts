import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import type { BrokerEvent, Delivery, FleetPlan, SessionsDropped } from '../plan/fleet-plan.js';
import type { AuditFinding } from '../audit/audit-checks.js';
import type { AuditSample, AvailabilitySample } from '../results/run-summary.js';
import { emptyStatusCounts, type StatusCounts } from '../stats/fleet-counters.js';

/** The broker as the coordinator drives it. */
export interface CoordinatedBroker {
  /** A real broker's event is carried out on its process (files rewritten, a signal, a restart): awaited. */
  applyEvent(event: BrokerEvent): SessionsDropped | Promise<SessionsDropped>;
  /**
   * The epoch [from, to) devices act in now: the only true times the embedded broker believes a client claims; the
   * moment Mosquitto's clock is set.
   */
  setEpoch(from: number, to: number): void | Promise<void>;
  /**
   * The earliest true time after `after` at which a broker that judges at one clock reading per epoch (Mosquitto)
   * changes its verdict on a certificate: the epoch ends there, so every connect is judged on the right side of every
   * validity bound. Absent or Infinity for a broker that judges each connect at its own time.
   */
  nextVerdictChangeAfter?(after: number): number;
  /** Sends planned deliveries (trust bundles, certificate pushes) due now. */
  deliver(deliveries: readonly Delivery[]): Promise<{ pushed: number; queued: number }>;
  /** Starts the rotations the backend drives (jobs, pushes) due at t. */
  startEpoch(t: number): Promise<{ pushed: number; queued: number }>;
  nextBackendActionAt(after: number): number;
  /**
   * The devices have published `total` offline notices since the run began, each acknowledged by the broker: the
   * backend takes in that many before it next decides who is online (docs/architecture.md, "Presence").
   */
  offlineNoticesSent?(total: number): void;
  audit(t: number): AuditFinding[];
  /**
   * Sessions the broker lost outside the plan since the last epoch (a broker instance that died): their devices
   * learn it at the next epoch's start, with the sessions that epoch's events end.
   */
  unplannedSessionsDropped?(): SessionsDropped;
}

/** The fleet as the coordinator drives it. */
export interface CoordinatedFleet {
  advance(
    epoch: number,
    from: number,
    to: number,
    notices?: { sessionsDropped?: SessionsDropped },
  ): Promise<{ nextDueAt: number; status: StatusCounts[]; offlineNotices?: number | undefined }>;
  /** A process-kill fault: SIGKILL the process hosting this device at true time t; its death then takes its course. */
  kill?(deviceId: string, t: number): void;
}

export interface EpochProgress {
  epoch: number;
  t: number;
  fraction: number;
  status: StatusCounts[];
}

export interface CoordinationResult {
  reached: number;
  epochs: number;
  availability: AvailabilitySample[];
  /** Audit findings at every availability sample. */
  audits: AuditSample[];
  harness: { lateEpochs: number; maxLagMs: number; finalLagMs: number };
  deliveries: { pushed: number; queued: number };
}

/**
 * The fleet or the broker failed mid-run (a device process died): the error, and what the run had really reached,
 * the end of the last completed epoch with the availability samples taken up to it, so the partial summary tells
 * the truth.
 */
export class CoordinationFailure extends Error {
  readonly partial: CoordinationResult;

  constructor(cause: unknown, partial: CoordinationResult) {
    super((cause as Error).message, { cause });
    this.name = 'CoordinationFailure';
    this.partial = partial;
  }
}

export interface CoordinatorInput {
  plan: FleetPlan;
  broker: CoordinatedBroker;
  fleet: CoordinatedFleet;
  signal?: AbortSignal | undefined;
  onEpoch?: ((progress: EpochProgress) => void) | undefined;
}

/**
 * Carries out a plan as a conservative discrete-event simulation. True time advances in epochs [from, to): the
 * broker first applies the events at `from` and delivers what falls due in the epoch, then every device worker runs
 * its due actions, each at its own true time. Epochs end at every broker event and availability sample, and at
 * most `timeline.step` apart; time in which nothing is due is skipped. With a finite `timeline.speed` the loop also
 * paces itself to wall time and counts, rather than hides, the epochs it finishes late.
 */
export async function coordinate(input: CoordinatorInput): Promise<CoordinationResult> {
  const { plan, broker, fleet } = input;
  const { start, end, step, sample, speed } = plan.scenario.timeline;
  const events = plan.brokerEvents;
  const deliveries = plan.deliveries;
  let nextEvent = 0;
  let nextDelivery = 0;
  let nextSample = start + sample;
  const availability: AvailabilitySample[] = [];
  const audits: AuditSample[] = [];
  const sampleAt = (at: number, status: StatusCounts[]) => {
    availability.push({ t: at, cohorts: status });
    audits.push({ t: at, findings: broker.audit(at) });
  };
  const harness = { lateEpochs: 0, maxLagMs: 0, finalLagMs: 0 };
  const delivered = { pushed: 0, queued: 0 };
  const wallStart = performance.now();
  let t = start;
  let epoch = 0;
  /** The end of the last epoch every device finished. */
  let completed = start;
  let nextDueAt = start;
  let offlineNotices = 0;
  let lastStatus: StatusCounts[] = plan.scenario.fleet.cohorts.map(() => emptyStatusCounts());

  try {
    await runEpochs();
  } catch (error) {
    throw new CoordinationFailure(error, { reached: Math.max(t, completed), epochs: epoch, availability, audits, harness, deliveries: delivered });
  }
  return { reached: t, epochs: epoch, availability, audits, harness, deliveries: delivered };

  /** The epoch loop; `t` and `epoch` only move once an epoch has completed. */
  async function runEpochs(): Promise<void> {
    while (t < end && !input.signal?.aborted) {
      const sessionsDropped: SessionsDropped = { ...broker.unplannedSessionsDropped?.() };
      while (nextEvent < events.length && (events[nextEvent]?.at ?? Infinity) <= t) {
        const event = events[nextEvent];
        const dropped = event ? await broker.applyEvent(event) : {};
        if (event?.kind === 'fault-start' && event.kill !== undefined) fleet.kill?.(event.kill, event.at);
        if (dropped.all) sessionsDropped.all = true;
        if (dropped.clientIds?.length) sessionsDropped.clientIds = [...(sessionsDropped.clientIds ?? []), ...dropped.clientIds];
        nextEvent += 1;
      }
      const to = Math.min(t + step, events[nextEvent]?.at ?? Infinity, nextSample, end, broker.nextVerdictChangeAfter?.(t) ?? Infinity);
      await broker.setEpoch(t, to);

      const due: Delivery[] = [];
      while (nextDelivery < deliveries.length && (deliveries[nextDelivery]?.effectiveAt ?? Infinity) < to) {
        const delivery = deliveries[nextDelivery];
        if (delivery) due.push(delivery);
        nextDelivery += 1;
      }
      for (const outcome of [due.length > 0 ? await broker.deliver(due) : undefined, await broker.startEpoch(t)]) {
        delivered.pushed += outcome?.pushed ?? 0;
        delivered.queued += outcome?.queued ?? 0;
      }

      const result = await fleet.advance(epoch, t, to, { sessionsDropped });
      nextDueAt = result.nextDueAt;
      lastStatus = result.status;
      offlineNotices += result.offlineNotices ?? 0;
      broker.offlineNoticesSent?.(offlineNotices);
      epoch += 1;
      completed = to;
      if (to === nextSample) {
        sampleAt(to, lastStatus);
        nextSample += sample;
      }

      // Skip ahead over time in which nothing is due; the fleet's status cannot change there.
      const idleUntil = Math.min(
        nextDueAt,
        events[nextEvent]?.at ?? Infinity,
        deliveries[nextDelivery]?.effectiveAt ?? Infinity,
        broker.nextBackendActionAt(to),
        end,
      );
      let resume = to;
      if (idleUntil > to) {
        while (nextSample <= idleUntil && nextSample <= end) {
          sampleAt(nextSample, lastStatus);
          nextSample += sample;
        }
        resume = idleUntil;
      }
      t = resume;
      await pace(t);
      input.onEpoch?.({ epoch, t, fraction: (t - start) / (end - start), status: lastStatus });
    }
  }

  async function pace(reached: number): Promise<void> {
    if (!Number.isFinite(speed)) return;
    const due = wallStart + ((reached - start) / speed) * 1000;
    const lag = performance.now() - due;
    harness.finalLagMs = Math.max(0, lag);
    if (lag <= 0) {
      await sleep(-lag);
      return;
    }
    // The harness could not keep the pace the scenario asked for: count it, never stretch time silently.
    harness.lateEpochs += 1;
    harness.maxLagMs = Math.max(harness.maxLagMs, lag);
  }
}
