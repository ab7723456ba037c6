import type { BrokerEvent, Delivery } from '../plan/fleet-plan.js';
import type { CoordinatedBroker } from './coordinator.js';

/** The broker and backend as the standalone broker drives them (a BrokerStack). */
export type FollowingBroker = Pick<CoordinatedBroker, 'applyEvent' | 'setEpoch' | 'deliver' | 'startEpoch'>;

/** What the scenario's plan holds for the broker: its events and the planned deliveries, each in time order. */
export interface BrokerSchedule {
  brokerEvents: readonly BrokerEvent[];
  deliveries: readonly Delivery[];
}

/**
 * Carries out the scenario's broker side as a live clock passes it (`certfleet broker`), as the coordinator does
 * epoch by epoch in a run: the broker events whose time the clock has reached (server-chain switches, revocations,
 * trust changes, restarts), in order and exactly once; then the epoch [now, now + span) the broker judges clients in;
 * then, in the background, the planned deliveries due and the rotations the backend starts.
 *
 * Moving the clock back does not undo anything: an event applied stays applied (a revoked certificate stays revoked,
 * the server keeps the chain it switched to), as it would on a real broker whose clock was set back.
 */
export class TimelineFollower {
  readonly #broker: FollowingBroker;
  readonly #events: readonly BrokerEvent[];
  readonly #deliveries: readonly Delivery[];
  readonly #onProblem: (line: string) => void;
  #nextEvent = 0;
  #nextDelivery = 0;
  /** Steps run one after another, in the order they were asked for. */
  #steps: Promise<void> = Promise.resolve();
  /** Deliveries due and not yet handed to the backend, and the latest time the backend should start rotations at. */
  readonly #due: Delivery[] = [];
  #backendAt: number | undefined;
  #backendBusy: Promise<void> | undefined;

  constructor(schedule: BrokerSchedule, broker: FollowingBroker, onProblem: (line: string) => void) {
    this.#broker = broker;
    this.#events = schedule.brokerEvents;
    this.#deliveries = schedule.deliveries;
    this.#onProblem = onProblem;
  }

  /** Events applied so far. */
  get applied(): readonly BrokerEvent[] {
    return this.#events.slice(0, this.#nextEvent);
  }

  /**
   * Brings the broker to simulated time `now`, judging clients in [now, now + span); resolves once the events due
   * are applied and the epoch is open (deliveries go on in the background).
   */
  reach(now: number, span: number): Promise<void> {
    const step = this.#steps.then(() => this.#step(now, Math.max(1, Math.ceil(span))));
    // One failed step must not stop the ones after it; the caller of this one still hears of it.
    this.#steps = step.catch(() => undefined);
    return step;
  }

  /** Resolves when the steps asked for so far are done (not the backend work they started). */
  async stepsDone(): Promise<void> {
    await this.#steps;
  }

  /** Resolves when the steps asked for so far, and the backend work they started, are done. */
  async settled(): Promise<void> {
    await this.#steps;
    while (this.#backendBusy) await this.#backendBusy;
  }

  async #step(now: number, span: number): Promise<void> {
    while (this.#nextEvent < this.#events.length && (this.#events[this.#nextEvent]?.at ?? Infinity) <= now) {
      const event = this.#events[this.#nextEvent] as BrokerEvent;
      // Counted as applied before it runs: an event that fails is reported once, never retried on every tick.
      this.#nextEvent += 1;
      try {
        await this.#broker.applyEvent(event);
      } catch (error) {
        this.#onProblem(`the ${event.kind} event at ${new Date(event.at).toISOString()} failed: ${messageOf(error)}`);
      }
    }
    await this.#broker.setEpoch(now, now + span);
    while (this.#nextDelivery < this.#deliveries.length && (this.#deliveries[this.#nextDelivery]?.effectiveAt ?? Infinity) <= now) {
      this.#due.push(this.#deliveries[this.#nextDelivery] as Delivery);
      this.#nextDelivery += 1;
    }
    this.#backendAt = now;
    this.#backendBusy ??= this.#backendWork();
  }

  /**
   * Deliveries and backend-started rotations, one round at a time: a round waits for online devices to acknowledge,
   * so a client that never does holds back only later deliveries, never the clock or the events.
   */
  async #backendWork(): Promise<void> {
    try {
      while (this.#backendAt !== undefined) {
        const t = this.#backendAt;
        this.#backendAt = undefined;
        const due = this.#due.splice(0);
        try {
          if (due.length > 0) await this.#broker.deliver(due);
          await this.#broker.startEpoch(t);
        } catch (error) {
          this.#onProblem(`deliveries at ${new Date(t).toISOString()}: ${messageOf(error)}`);
        }
      }
    } finally {
      this.#backendBusy = undefined;
    }
  }
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
