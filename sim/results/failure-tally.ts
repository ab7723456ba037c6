import type { Cause, Judge } from '../causes.js';
import type { FleetEvent } from '../events/fleet-event.js';
import { FailureEpisodes, type FailureEpisode } from './failure-episodes.js';

export interface CauseTally {
  /** Failed attempts with this cause. */
  count: number;
  /** Distinct devices that saw it. */
  devices: number;
  /** True time of the first and last occurrence. */
  first: number;
  last: number;
  /**
   * A real broker's refusals the devices read from a TLS alert or CONNACK code ("tls-alert:45 certificate_expired"):
   * the cause is inferred, no broker recorded it. Absent when every count is a recorded verdict.
   */
  inferredFrom?: string[] | undefined;
}

export interface DeviceOutcome {
  device: string;
  cohort: string;
  /** The device's last connect failed: it ended the run unable to connect. */
  lastCause: Cause;
  lastJudge: Judge;
  /** True time of the first failure of the streak it ended in. */
  since: number;
  /** The last failure was read from a real broker's TLS alert or CONNACK code. */
  inferredFrom?: string | undefined;
}

interface Entry {
  count: number;
  devices: Set<string>;
  first: number;
  last: number;
  inferredFrom?: Set<string> | undefined;
}

/**
 * Failures by precise cause, per cohort and judge, built from the event stream. A device only learns that the broker
 * said "not authorized" (CONNACK 5); the broker's own record, joined on device and true time, gives the cause. A real
 * broker keeps no record the run can join: there the device's reading of its TLS alert or CONNACK code counts as the
 * broker's verdict, marked with what it was inferred from.
 */
export class FailureTally {
  readonly #cohortOf: (device: string) => string;
  readonly #onFailure: ((judgeCause: string, t: number) => void) | undefined;
  readonly #entries = new Map<string, Entry>();
  /** Failed rotations by cause (the device's own check, the CA's refusal, or the reconnect that failed). */
  readonly #rotationEntries = new Map<string, Entry>();
  /** Rotations whose reconnect the broker refused, waiting for the broker's record of why. */
  readonly #pendingRotations = new Map<string, { device: string; t: number }>();
  /** device -> its last connect: ok, or the failure with the time it happened. */
  readonly #lastConnect = new Map<string, { t: number; cause: Cause; judge: Judge; since: number; inferredFrom?: string | undefined }>();
  readonly #brokerCause = new Map<string, Cause>();
  /** device@t of refusals the device reported before the broker's record arrived. */
  readonly #unresolved = new Map<string, string>();
  /** Each device's stretches of failed connects, for the run's incidents. */
  readonly #episodes: FailureEpisodes;

  /** `onFailure` hears every failure counted, under its "judge:cause" key, at its true time. */
  constructor(cohortOf: (device: string) => string, onFailure?: (judgeCause: string, t: number) => void) {
    this.#cohortOf = cohortOf;
    this.#onFailure = onFailure;
    this.#episodes = new FailureEpisodes(cohortOf);
  }

  add(event: FleetEvent): void {
    if (event.type === 'broker.admission') {
      // An admitted connect is recorded only in a broker's decision log; it is no failure.
      if (event.cause === 'ok') return;
      const key = `${event.device}@${event.t}`;
      this.#brokerCause.set(key, event.cause);
      this.#count('broker', event.cause, event.device, event.t);
      const pending = this.#unresolved.get(key);
      if (pending !== undefined) {
        this.#unresolved.delete(key);
        this.#resolveLast(pending, event.t, event.cause);
      }
      const rotation = this.#pendingRotations.get(key);
      if (rotation) {
        this.#pendingRotations.delete(key);
        record(this.#rotationEntries, event.cause, rotation.device, rotation.t);
      }
      return;
    }
    if (event.type === 'device.rotation') {
      if (event.outcome !== 'failed') return;
      // A reconnect the broker refused: its own record has the precise cause (revoked, expired_leaf, ...).
      if (event.cause === 'connection_refused' && event.inferredFrom === undefined) {
        const key = `${event.device}@${event.t}`;
        const precise = this.#brokerCause.get(key);
        if (precise === undefined) this.#pendingRotations.set(key, { device: event.device, t: event.t });
        else record(this.#rotationEntries, precise, event.device, event.t);
        return;
      }
      record(this.#rotationEntries, event.cause, event.device, event.t, event.inferredFrom);
      return;
    }
    // A session on the bootstrap identity is provisioning, not the device being back online.
    if (event.type !== 'device.connect' || event.identity === 'bootstrap') return;
    if (event.cause === 'ok') {
      this.#lastConnect.set(event.device, { t: event.t, cause: 'ok', judge: 'device', since: event.t });
      this.#episodes.connected(event.device, event.t);
      return;
    }
    if (event.inferredFrom !== undefined) {
      // A real broker's refusal, read from its alert or CONNACK: the broker's verdict as far as anyone can know it.
      this.#count('broker', event.cause, event.device, event.t, event.inferredFrom);
      this.#setFailure(event.device, event.t, event.cause, 'broker', event.inferredFrom);
      return;
    }
    if (event.cause === 'connection_refused') {
      const key = `${event.device}@${event.t}`;
      const precise = this.#brokerCause.get(key);
      this.#setFailure(event.device, event.t, precise ?? 'connection_refused', 'broker');
      if (precise === undefined) this.#unresolved.set(key, event.device);
      return;
    }
    this.#count('device', event.cause, event.device, event.t);
    this.#setFailure(event.device, event.t, event.cause, 'device');
  }

  #setFailure(device: string, t: number, cause: Cause, judge: Judge, inferredFrom?: string): void {
    const previous = this.#lastConnect.get(device);
    const since = previous && previous.cause !== 'ok' ? previous.since : t;
    this.#lastConnect.set(device, { t, cause, judge, since, inferredFrom });
    this.#episodes.failed(device, t, `${judge}:${cause}`);
  }

  /** Every device's stretches of failed connects (device-side connects, the broker's refusals under their cause). */
  episodes(): FailureEpisode[] {
    return this.#episodes.all();
  }

  /** Tallies keyed by cohort, then "judge:cause". */
  byCohort(): Record<string, Record<string, CauseTally>> {
    const out: Record<string, Record<string, CauseTally>> = {};
    for (const [key, entry] of this.#entries) {
      const [cohort, judgeCause] = splitOnce(key, '|');
      (out[cohort] ??= {})[judgeCause] = toTally(entry);
    }
    return out;
  }

  /** Tallies keyed by "judge:cause" over the whole fleet. */
  overall(): Record<string, CauseTally> {
    const merged = new Map<string, Entry>();
    for (const [key, entry] of this.#entries) {
      const judgeCause = splitOnce(key, '|')[1];
      const into = merged.get(judgeCause) ?? { count: 0, devices: new Set<string>(), first: Infinity, last: -Infinity };
      into.count += entry.count;
      entry.devices.forEach((d) => into.devices.add(d));
      into.first = Math.min(into.first, entry.first);
      into.last = Math.max(into.last, entry.last);
      if (entry.inferredFrom) entry.inferredFrom.forEach((source) => (into.inferredFrom ??= new Set()).add(source));
      merged.set(judgeCause, into);
    }
    return Object.fromEntries([...merged].map(([k, e]) => [k, toTally(e)]));
  }

  /** Failed rotations by cause over the whole fleet (a refused reconnect under the broker's precise cause). */
  rotationFailures(): Record<string, CauseTally> {
    const entries = new Map([...this.#rotationEntries].map(([k, e]) => [k, { ...e, devices: new Set(e.devices), inferredFrom: e.inferredFrom && new Set(e.inferredFrom) }]));
    for (const { device, t } of this.#pendingRotations.values()) record(entries, 'connection_refused', device, t);
    return Object.fromEntries([...entries].map(([k, e]) => [k, toTally(e)]));
  }

  /** Devices whose last connect failed, with the cause of that failure. */
  unrecovered(): DeviceOutcome[] {
    const out: DeviceOutcome[] = [];
    for (const [device, last] of this.#lastConnect) {
      if (last.cause === 'ok') continue;
      out.push({ device, cohort: this.#cohortOf(device), lastCause: last.cause, lastJudge: last.judge, since: last.since, inferredFrom: last.inferredFrom });
    }
    return out.sort((a, b) => a.device.localeCompare(b.device));
  }

  #resolveLast(device: string, t: number, cause: Cause): void {
    const last = this.#lastConnect.get(device);
    if (last && last.t === t && last.cause === 'connection_refused') {
      this.#lastConnect.set(device, { ...last, cause });
      this.#episodes.resolved(device, `${last.judge}:connection_refused`, `${last.judge}:${cause}`);
    }
  }

  #count(judge: Judge, cause: Cause, device: string, t: number, inferredFrom?: string): void {
    record(this.#entries, `${this.#cohortOf(device)}|${judge}:${cause}`, device, t, inferredFrom);
    this.#onFailure?.(`${judge}:${cause}`, t);
  }
}

function record(entries: Map<string, Entry>, key: string, device: string, t: number, inferredFrom?: string): void {
  const entry = entries.get(key) ?? { count: 0, devices: new Set<string>(), first: t, last: t };
  if (inferredFrom !== undefined) (entry.inferredFrom ??= new Set()).add(inferredFrom);
  entry.count += 1;
  entry.devices.add(device);
  entry.first = Math.min(entry.first, t);
  entry.last = Math.max(entry.last, t);
  entries.set(key, entry);
}

function toTally(entry: Entry): CauseTally {
  const tally: CauseTally = { count: entry.count, devices: entry.devices.size, first: entry.first, last: entry.last };
  if (entry.inferredFrom) tally.inferredFrom = [...entry.inferredFrom].sort();
  return tally;
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return [text.slice(0, at), text.slice(at + 1)];
}
