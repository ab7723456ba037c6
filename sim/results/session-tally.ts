import type { FleetEvent } from '../events/fleet-event.js';

/** A count with the distinct clients it is about and the simulated times of the first and last. */
export interface DecisionCount {
  count: number;
  clients: number;
  /** ms since the epoch (simulated time). */
  first: number;
  last: number;
}

/** What a broker session decided, in totals: session.json's `totals`, and the tables of its report. */
export interface SessionTotals {
  connects: {
    admitted: number;
    refused: number;
    /** Admitted connects by role (operational; bootstrap and renewal sessions may only provision or renew). */
    admittedByRole: Record<string, number>;
    /** Refused connects by "broker:<cause>", as a run's summary keys the broker's verdicts. */
    refusedByCause: Record<string, DecisionCount>;
  };
  /** TLS handshakes that failed before MQTT, by the alert the client sent ("no-alert" when it sent none). */
  tlsFailures: Record<string, DecisionCount>;
  certificates: { issued: number; refused: number; refusedByReason: Record<string, DecisionCount> };
  registrations: { accepted: number; refused: number };
  jobs: Record<string, number>;
  /** Deliveries by outcome: sent, acknowledged, queued, synced, lost. */
  deliveries: Record<string, number>;
  connectionCuts: Record<string, number>;
  requestsRefused: Record<string, number>;
}

interface Entry {
  count: number;
  clients: Set<string>;
  first: number;
  last: number;
}

/** Adds up a broker session's decisions as they come, from the events themselves (the log's lines). */
export class SessionTally {
  #admitted = 0;
  readonly #admittedByRole: Record<string, number> = {};
  readonly #refusedByCause = new Map<string, Entry>();
  readonly #tlsFailures = new Map<string, Entry>();
  #issued = 0;
  readonly #csrRefused = new Map<string, Entry>();
  readonly #registrations = { accepted: 0, refused: 0 };
  readonly #jobs: Record<string, number> = {};
  readonly #deliveries: Record<string, number> = {};
  readonly #cuts: Record<string, number> = {};
  readonly #requestsRefused: Record<string, number> = {};

  add(event: FleetEvent): void {
    switch (event.type) {
      case 'broker.admission':
        if (event.cause === 'ok') {
          this.#admitted += 1;
          bump(this.#admittedByRole, event.role ?? 'operational');
        } else {
          record(this.#refusedByCause, `broker:${event.cause}`, event.device, event.t);
        }
        break;
      case 'broker.tls-failure':
        record(this.#tlsFailures, event.alert ?? 'no-alert', event.source, event.t);
        break;
      case 'broker.issuance':
        if (event.ok) this.#issued += 1;
        else record(this.#csrRefused, event.reason ?? 'unknown', event.device, event.t);
        break;
      case 'broker.registration':
        this.#registrations[event.ok ? 'accepted' : 'refused'] += 1;
        break;
      case 'broker.job':
        bump(this.#jobs, event.status);
        break;
      case 'broker.delivery':
        bump(this.#deliveries, event.outcome);
        break;
      case 'broker.connection-cut':
        bump(this.#cuts, event.reason);
        break;
      case 'broker.request-refused':
        bump(this.#requestsRefused, `${event.request}:${event.reason}`);
        break;
      default:
        break;
    }
  }

  totals(): SessionTotals {
    const refusedByCause = counts(this.#refusedByCause);
    const refusedByReason = counts(this.#csrRefused);
    return {
      connects: {
        admitted: this.#admitted,
        refused: Object.values(refusedByCause).reduce((n, c) => n + c.count, 0),
        admittedByRole: { ...this.#admittedByRole },
        refusedByCause,
      },
      tlsFailures: counts(this.#tlsFailures),
      certificates: { issued: this.#issued, refused: Object.values(refusedByReason).reduce((n, c) => n + c.count, 0), refusedByReason },
      registrations: { ...this.#registrations },
      jobs: { ...this.#jobs },
      deliveries: { ...this.#deliveries },
      connectionCuts: { ...this.#cuts },
      requestsRefused: { ...this.#requestsRefused },
    };
  }
}

function bump(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}

function record(entries: Map<string, Entry>, key: string, client: string, t: number): void {
  const entry = entries.get(key) ?? { count: 0, clients: new Set<string>(), first: t, last: t };
  entry.count += 1;
  entry.clients.add(client);
  entry.first = Math.min(entry.first, t);
  entry.last = Math.max(entry.last, t);
  entries.set(key, entry);
}

/** The most frequent first. */
function counts(entries: Map<string, Entry>): Record<string, DecisionCount> {
  return Object.fromEntries(
    [...entries]
      .sort((a, b) => b[1].count - a[1].count || a[0].localeCompare(b[0]))
      .map(([key, e]) => [key, { count: e.count, clients: e.clients.size, first: e.first, last: e.last }]),
  );
}
