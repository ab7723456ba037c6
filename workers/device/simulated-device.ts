import { performance } from 'node:perf_hooks';
import type { Cause } from '../../sim/causes.js';
import type { DeliveryMessage, SyncResponse } from '../../sim/device-api/messages.js';
import { deviceTopics } from '../../sim/device-api/topics.js';
import type { RotationMethod, RotationStep } from '../../sim/events/fleet-event.js';
import type { DeviceProfile } from '../../sim/plan/device-profile.js';
import type { Backoff } from '../../sim/policy/backoff.js';
import type { RenewalPolicy } from '../../sim/policy/renewal-policy.js';
import { SeededRandom } from '../../sim/random/seeded-random.js';
import { refusesIdentity } from '../../sim/tls/alert-causes.js';
import { toPem } from '../../sim/pki/index.js';
import { increment } from '../../sim/stats/fleet-counters.js';
import { DeviceClock } from '../../sim/time/device-clock.js';
import { TrustStore } from '../../sim/trust/trust-store.js';
import { dialBroker, type BrokerSession, type DialOutcome } from '../broker-session.js';
import type { DeviceEnvironment } from '../device-environment.js';
import { OutageSchedule } from '../outage-schedule.js';
import type { DeviceCredentials } from '../protocol.js';
import { rotationFromDelivery } from '../rotation/protocol-registry.js';
import type { RotationHost, RotationOutcome, RotationProtocol } from '../rotation/rotation-protocol.js';
import { adoptCredentials, secureContextOf, type Credentials } from './credentials.js';
import { judgeBroker, judgeOwnCertificate } from './device-verdicts.js';
import { DeviceFaultWindows } from './fault-windows.js';

type Status = 'connected' | 'failing' | 'offline' | 'idle' | 'locked-out';

const MAX_ACTIONS_AT_ONE_INSTANT = 10_000;
/** A device with a bootstrap identity re-enrols after this many "not authorized" answers in a row. */
const REFUSALS_BEFORE_REENROLMENT = 3;

/** A rotation between its steps: what to do, and at which true time, to carry on. */
interface RotationInFlight {
  at: number;
  method: RotationMethod;
  resume: (t: number) => Promise<RotationOutcome>;
}

/**
 * One simulated device: its own clock, trust store, credentials and MQTT session, acting at true times the shard
 * hands it. Everything it decides is drawn from its own seeded randomness, so device i behaves the same whichever
 * worker hosts it.
 */
export class SimulatedDevice {
  readonly id: string;
  /** The MQTT client id it connects with (its id, unless its cohort shares an identity). */
  readonly clientId: string;
  readonly cohortIndex: number;
  readonly #env: DeviceEnvironment;
  readonly #profile: DeviceProfile;
  readonly #clock: DeviceClock;
  readonly #trust: TrustStore;
  readonly #random: SeededRandom;
  readonly #policy: RenewalPolicy;
  readonly #protocol: RotationProtocol;
  readonly #reconnect: Backoff;
  readonly #outages: OutageSchedule;
  readonly #bootstrap: Credentials | undefined;
  readonly #host: RotationHost;
  readonly #faults: DeviceFaultWindows;
  #credentials: Credentials;
  #session: BrokerSession | undefined;
  #status: Status = 'idle';
  #connectAt: number;
  #dropAt = Number.POSITIVE_INFINITY;
  #renewAt: number;
  /** When the current certificate first fell due for renewal (retries after failures do not move it). */
  #renewalDueAt: number;
  #outageStartAt: number;
  #outageEndAt = Number.POSITIVE_INFINITY;
  #rotation: RotationInFlight | undefined;
  #failedConnects = 0;
  #rotationAttempts = 0;
  #lastReconnectDelay: number | undefined;
  #lastRotationDelay: number | undefined;
  #lastActedAt: number;
  #actionsAtInstant = 0;
  #refusalsInARow = 0;
  /** Re-enrolments with the bootstrap identity back off like rotations: not before this true time. */
  #nextRecoveryAt = Number.NEGATIVE_INFINITY;
  #recoveryAttempts = 0;

  constructor(env: DeviceEnvironment, profile: DeviceProfile, credentials: DeviceCredentials) {
    this.#env = env;
    this.#profile = profile;
    this.id = profile.id;
    this.clientId = profile.clientId;
    this.cohortIndex = profile.cohortIndex;
    const start = env.timeline.start;
    this.#clock = new DeviceClock(profile.clock, start);
    this.#clock.boot(start);
    const cohort = profile.cohort;
    this.#trust = new TrustStore({
      anchors: env.trustAnchors(profile.cohortIndex),
      mode: cohort.trustStore.updates === 'accept' ? 'updatable' : 'frozen',
      pins: cohort.trustStore.pins.map((name) => env.certificate(name).fingerprint),
    });
    this.#random = new SeededRandom(env.seed, profile.id);
    this.#policy = env.renewalPolicy(profile.cohortIndex, profile.id);
    this.#protocol = env.rotationProtocol(profile.cohortIndex);
    this.#reconnect = env.reconnectBackoff(profile.cohortIndex);
    this.#outages = new OutageSchedule(cohort.connectivity.outages, profile.outagePhases, start);
    this.#credentials = adoptCredentials(env.pool, credentials, this.id);
    this.#bootstrap = credentials.bootstrap ? adoptCredentials(env.pool, credentials.bootstrap, this.id) : undefined;
    this.#faults = new DeviceFaultWindows(profile.faults, env.seed, profile.id, (event) => env.emit(event));
    this.#host = {
      replyLost: (requestId, t) => this.#faults.replyLost(requestId, t),
      deviceId: profile.clientId,
      env,
      session: () => this.#session,
      adopt: (c) => adoptCredentials(env.pool, c, this.id),
      openBootstrapSession: (t) => this.#openBootstrapSession(t),
    };
    this.#connectAt = start;
    this.#lastActedAt = start;
    this.#outageStartAt = this.#outages.nextStartAfter(start - 1);
    this.#renewAt = this.#scheduleRenewal(start);
    this.#renewalDueAt = this.#renewAt;
  }

  get status(): Status {
    return this.#status;
  }

  /** Fell due for renewal before true time t and still holds the certificate it should have replaced: the backlog. */
  renewalOverdue(t: number): boolean {
    return this.#status !== 'locked-out' && this.#renewalDueAt < t;
  }

  /**
   * Power-on: the TLS stack loads the device's key and certificate chain (OpenSSL 3.0 PEM decoding, about 1 ms),
   * once, before the timeline starts, as firmware does at boot; connects and reconnects then reuse it.
   */
  boot(): void {
    secureContextOf(this.#credentials);
  }

  /** The next true time this device acts. */
  get nextWake(): number {
    // Locked out is the end: the device's certificate has expired and it has no way to get another.
    if (this.#status === 'locked-out') return Number.POSITIVE_INFINITY;
    if (this.#status === 'offline') return this.#outageEndAt;
    const online = this.#session !== undefined;
    return Math.min(
      this.#connectAt,
      this.#outageStartAt,
      online ? this.#dropAt : Number.POSITIVE_INFINITY,
      online || this.#protocol.worksOffline ? this.#renewAt : Number.POSITIVE_INFINITY,
      this.#rotation?.at ?? Number.POSITIVE_INFINITY,
    );
  }

  /** Carries out everything due before `limit`, each at its own true time, in order. */
  async runUntil(limit: number): Promise<void> {
    while (await this.step(limit));
  }

  /** Carries out the next action if it is due before `limit`; false when nothing is. */
  async step(limit: number): Promise<boolean> {
    const t = this.nextWake;
    if (t >= limit) return false;
    // A device that keeps acting at one instant would hold the whole run at that instant: a bug, said out loud.
    this.#actionsAtInstant = t === this.#lastActedAt ? this.#actionsAtInstant + 1 : 0;
    if (this.#actionsAtInstant > MAX_ACTIONS_AT_ONE_INSTANT) {
      throw new Error(`device ${this.id} acted ${MAX_ACTIONS_AT_ONE_INSTANT} times at ${new Date(t).toISOString()} without time moving on`);
    }
    this.#lastActedAt = t;
    await this.#act(t);
    return true;
  }

  /**
   * The broker ended this device's session at true time t (a restart, a revoked certificate). The device learns it
   * as its connection closes; it reconnects after its backoff, as any client would after an unexpected disconnect.
   */
  sessionDroppedByBroker(t: number): void {
    // Whether the socket's close reached the device before this notice or not (that is wall time), the device
    // learns of it now, at the event's true time: the same on every run.
    this.#loseSession(t);
  }

  /**
   * The broker admitted another connection with this device's client id at true time t (a clone, or the device's own
   * bootstrap session) and so ended this one ([MQTT-3.1.4-2]). The shard says so right after that CONNACK; the
   * socket's close may arrive before or after, which must not matter.
   */
  sessionTakenOver(by: BrokerSession, t: number): void {
    if (this.#session && this.#session !== by) this.#loseSession(Math.max(t, this.#lastActedAt), by);
  }

  /**
   * At the end of an epoch: a session that ended with neither a broker notice nor a takeover to explain it (the
   * broker cut the device off for what it sent). The device reconnects after its backoff.
   */
  noticeEndedSession(epochStart: number): void {
    if (this.#session?.ended) this.#loseSession(Math.max(epochStart, this.#lastActedAt));
  }

  /** Ends the session at the end of a run. */
  async shutdown(): Promise<void> {
    await this.#session?.close();
    this.#session = undefined;
  }

  /**
   * The broker or the network ended the session at true time t: reconnect after the cohort's backoff. The broker has
   * ended it, so it sends no offline notice of its own; a session that took it over (`takenOverBy`) says so instead.
   */
  #loseSession(t: number, takenOverBy?: BrokerSession): void {
    const session = this.#session;
    if (!session) return;
    this.#session = undefined;
    this.#dropAt = Number.POSITIVE_INFINITY;
    this.#status = 'failing';
    this.#failedConnects += 1;
    this.#connectAt = t + this.#reconnectDelay(this.#failedConnects);
    if (takenOverBy) session.reportTakenOver(takenOverBy);
    void session.close({ silent: true });
  }

  async #act(t: number): Promise<void> {
    if (this.#status === 'offline') {
      // The outage is over: the device powers back on and reconnects.
      this.#status = 'idle';
      this.#outageEndAt = Number.POSITIVE_INFINITY;
      this.#outageStartAt = this.#outages.nextStartAfter(t);
      this.#clock.boot(t);
      this.#connectAt = t;
      return;
    }
    if (t === this.#outageStartAt) {
      await this.#endSession();
      this.#status = 'offline';
      this.#outageEndAt = t + this.#outages.durationOfOutageAt(t);
      this.#connectAt = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.#session && t === this.#dropAt) {
      // Network churn: the session drops and the device reconnects at once.
      await this.#endSession();
      this.#connectAt = t;
      return;
    }
    if (this.#rotation && t === this.#rotation.at) {
      const rotation = this.#rotation;
      this.#rotation = undefined;
      await this.#follow(t, rotation.method, await rotation.resume(t));
      return;
    }
    if (t === this.#connectAt) {
      await this.#connect(t);
      return;
    }
    if (t === this.#renewAt) await this.#rotate(t, this.#protocol);
  }

  async #connect(t: number): Promise<void> {
    this.#connectAt = Number.POSITIVE_INFINITY;
    const counters = this.#env.counters(this.cohortIndex);
    counters.connectAttempts += 1;
    const outcome = await this.#dial(t, this.#credentials);
    if (!outcome.ok) {
      this.#status = 'failing';
      increment(counters.connectFailures, outcome.cause);
      this.#failedConnects += 1;
      this.#connectAt = t + this.#reconnectDelay(this.#failedConnects);
      await this.#afterRefusal(t, refusedIdentity(outcome));
      return;
    }
    this.#failedConnects = 0;
    this.#refusalsInARow = 0;
    this.#lastReconnectDelay = undefined;
    counters.connectsSucceeded += 1;
    await this.#startSession(t, outcome.session);
    if (this.#renewAt <= t && !this.#rotation) await this.#rotate(t, this.#protocol);
  }

  /** A TLS handshake and MQTT CONNECT with these credentials; the device judges the broker at its own clock. */
  async #dial(t: number, credentials: Credentials, identity: 'operational' | 'bootstrap' = 'operational'): Promise<DialOutcome> {
    const env = this.#env;
    const serverName = this.#serverName;
    // A partition of the cohort: the broker is unreachable (workers/device/fault-windows.ts).
    const outcome: DialOutcome = this.#faults.partitioned(t) ? { ok: false, cause: 'broker_unreachable' } : await dialBroker({
      ...env.broker.addressOf(this.#profile.index),
      serverName,
      secureContext: secureContextOf(credentials),
      clientId: this.#profile.clientId,
      inbox: deviceTopics(this.#profile.clientId).subscription,
      t,
      pool: env.pool,
      judge: (chain) =>
        judgeBroker({ chain, t, clock: this.#clock, trust: this.#trust, cohort: this.#profile.cohort, serverName, pool: env.pool }),
      timeoutMs: env.options.connectTimeoutMs,
      dialect: env.options.dialect,
      presence: { offlineTopic: deviceTopics(this.#profile.clientId).offline, onNotice: (acknowledged) => env.offlineNotice(acknowledged) },
    });
    if (outcome.ok) {
      env.histograms.connect.recordValue(Math.max(1, Math.round(outcome.latencyMs)));
      // The broker ended any other session with this client id as it admitted this one ([MQTT-3.1.4-2]).
      env.sessionOpened(this.#profile.clientId, outcome.session, t);
    }
    const verdict = outcome.verdict;
    const cohort = this.#profile.cohort;
    env.emit({
      type: 'device.connect',
      t,
      device: this.id,
      cause: outcome.ok ? 'ok' : outcome.cause,
      inferredFrom: outcome.ok ? undefined : outcome.inferredFrom,
      certificateCause: verdict?.cause === verdict?.certificateCause ? undefined : verdict?.certificateCause,
      clockSkewMs: verdict?.clockSkewMs === 0 ? undefined : verdict?.clockSkewMs,
      path: verdict?.path.map((c) => c.label),
      failed: verdict?.failed?.certificate.label,
      identity: identity === 'bootstrap' ? 'bootstrap' : undefined,
      trace: env.options.trace
        ? {
            clockReading: this.#clock.read(t),
            pathBuilding: cohort.pathBuilding,
            anchorExpiry: cohort.anchorExpiry,
            presented: (outcome.presented ?? []).map((c) => toPem(c.der, 'CERTIFICATE')),
            anchors: this.#trust.anchorsAt(t).map((c) => toPem(c.der, 'CERTIFICATE')),
            path: (verdict?.path ?? []).map((c) => toPem(c.der, 'CERTIFICATE')),
            serverName,
          }
        : undefined,
    });
    return outcome;
  }

  /** The host name this device dials: its cohort's endpoint, or the broker's. */
  get #serverName(): string {
    return this.#profile.cohort.connectivity.host ?? this.#env.broker.serverName;
  }

  async #startSession(t: number, session: BrokerSession): Promise<void> {
    this.#session = session;
    this.#status = 'connected';
    // Connected: a reconnect still pending (its operational session was taken over by its own bootstrap session
    // during a rotation that then succeeded) is moot.
    this.#connectAt = Number.POSITIVE_INFINITY;
    const reconnectEvery = this.#profile.cohort.connectivity.reconnectEvery;
    this.#dropAt = reconnectEvery === undefined ? Number.POSITIVE_INFINITY : t + Math.max(1, Math.round(this.#random.exponential(reconnectEvery)));
    const topics = deviceTopics(this.#profile.clientId);
    session.onMessage(topics.delivery, (_topic, payload) => {
      const message = parseJson<DeliveryMessage>(payload);
      if (!message) return;
      this.#receive(message);
      session.publish(topics.deliveryAck, { updateId: message.updateId, result: 'received' }).catch(() => undefined);
    });
    // A device nothing is ever sent to unasked skips the subscription and the sync round trip here; its requests
    // subscribe first. A refused subscription leaves the session without deliveries; the device still counts as connected.
    if (!this.#profile.receivesDeliveries) return;
    // The sync request names the session: the backend holds the device online in it until its offline notice.
    const sync = await session.request<SyncResponse>(topics.syncRequest, { t, session: session.announceOnline() }, topics.syncResponse, () => true, this.#env.options.rotationTimeoutMs);
    for (const message of sync?.deliveries ?? []) this.#receive(message, t);
    // A protocol with topics of its own (AWS IoT Jobs) listens there, and asks for what was queued while away.
    await this.#protocol.attach?.(this.#host, session, t, (message, receivedAt) => this.#receive(message, receivedAt));
  }

  /**
   * A delivery the device got at true time `receivedAt` (a queued one, in the answer to its sync). A job or push that
   * fell due while the device was away is acted on when it arrives, never back in time: the broker believes only
   * times inside the current epoch.
   */
  #receive(message: DeliveryMessage, receivedAt = Number.NEGATIVE_INFINITY): void {
    if (message.kind === 'trust-bundle') {
      const result = this.#trust.applyUpdate({
        id: message.updateId,
        effectiveAt: message.effectiveAt,
        add: message.add.flatMap((pem) => this.#env.pool.parsePem(pem)),
        remove: message.remove,
      });
      increment(this.#env.counters(this.cohortIndex).trustUpdates, result);
      this.#env.emit({ type: 'device.trust-update', t: message.effectiveAt, device: this.id, updateId: message.updateId, result });
      return;
    }
    this.#env.counters(this.cohortIndex).rotationsAttempted += 1;
    this.#rotationAttempts += 1;
    const at = Math.max(message.effectiveAt, receivedAt);
    // A job, a pushed certificate: the protocol that starts with this delivery carries the rotation on.
    const { method, resume } = rotationFromDelivery(this.#host, message, this.#rotationAttempts);
    this.#rotation = { at, method, resume };
  }

  async #endSession(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    this.#dropAt = Number.POSITIVE_INFINITY;
    if (this.#status === 'connected') this.#status = 'idle';
    await session?.close();
  }

  async #rotate(t: number, protocol: RotationProtocol): Promise<void> {
    const counters = this.#env.counters(this.cohortIndex);
    counters.rotationsAttempted += 1;
    this.#rotationAttempts += 1;
    this.#renewAt = Number.POSITIVE_INFINITY;
    await this.#follow(t, protocol.method, await protocol.start(this.#host, t, this.#rotationAttempts));
  }

  /** Carries a rotation's outcome on: wait for a later step, install the certificate, or back off. */
  async #follow(t: number, method: RotationMethod, outcome: RotationOutcome): Promise<void> {
    if (outcome.kind === 'failed') return this.#rotationFailed(t, outcome.cause, method, outcome.step);
    if (outcome.at > t) {
      this.#rotation = { at: outcome.at, method, resume: outcome.kind === 'continue' ? outcome.resume : async () => outcome };
      return;
    }
    if (outcome.kind === 'continue') return this.#follow(t, method, await outcome.resume(t));
    const check = judgeOwnCertificate({ credentials: outcome.credentials, t, clock: this.#clock, anchors: this.#env.identityAnchors, pool: this.#env.pool });
    if (check.cause !== 'ok') return this.#rotationFailed(t, check.cause, method, 'check');
    await this.#switchCredentials(t, method, outcome);
  }

  /** Reconnects with new credentials; keeps them if the broker admits the device, else rolls back. */
  async #switchCredentials(t: number, method: RotationMethod, install: Extract<RotationOutcome, { kind: 'install' }>): Promise<void> {
    const previous = this.#credentials;
    const reconnectStarted = performance.now();
    await this.#endSession();
    const outcome = await this.#dial(t, install.credentials);
    if (!outcome.ok) {
      // Rollback: the old certificate is still installed; reconnect with it.
      this.#credentials = previous;
      this.#connectAt = t;
      return this.#rotationFailed(t, outcome.cause, method, 'reconnect', outcome.inferredFrom);
    }
    this.#credentials = install.credentials;
    this.#status = this.#status === 'locked-out' ? 'idle' : this.#status;
    await this.#startSession(t, outcome.session);
    const afterInstall = install.afterInstall ? await install.afterInstall(outcome.session, t) : undefined;
    // Wall time of the request (key, CSR, CA) plus the reconnect; time spent waiting for simulated time excluded.
    const latencyMs = install.requestMs + (performance.now() - reconnectStarted);
    if (afterInstall !== undefined) return this.#rotationFailed(t, afterInstall, method, 'commit');
    this.#env.histograms.rotation.recordValue(Math.max(1, Math.round(latencyMs)));
    this.#env.counters(this.cohortIndex).rotationsSucceeded += 1;
    this.#env.emit({
      type: 'device.rotation',
      t,
      device: this.id,
      method,
      outcome: 'succeeded',
      cause: 'ok',
      latencyMs: round(latencyMs),
      issuedAfterMs: install.requestMs > 0 ? round(install.requestMs) : undefined,
      attempt: this.#rotationAttempts,
    });
    this.#rotationAttempts = 0;
    this.#lastRotationDelay = undefined;
    this.#renewAt = this.#scheduleRenewal(t, true);
    this.#renewalDueAt = this.#renewAt;
  }

  #rotationFailed(t: number, cause: Cause, method: RotationMethod, step: RotationStep, inferredFrom?: string): void {
    increment(this.#env.counters(this.cohortIndex).rotationsFailed, cause);
    this.#env.emit({ type: 'device.rotation', t, device: this.id, method, outcome: 'failed', cause, inferredFrom, step, attempt: this.#rotationAttempts });
    this.#lastRotationDelay = this.#policy.retryDelay(this.#rotationAttempts, this.#random, this.#lastRotationDelay);
    this.#renewAt = t + this.#lastRotationDelay;
  }

  /**
   * A connect the broker refused after the device's own certificate expired: it cannot renew over mutual TLS any
   * more. A device with a bootstrap identity re-enrols with it; without one it is locked out and stops trying.
   * `refused`: the broker refused the device's identity (see `refusedIdentity`), not a transport failure.
   */
  async #afterRefusal(t: number, refused: boolean): Promise<void> {
    this.#refusalsInARow = refused ? this.#refusalsInARow + 1 : 0;
    const notAfter = this.#credentials.certificate.notAfter;
    const expired = t > notAfter;
    // The device only hears "not authorized". Its certificate having expired explains it; so, for a device that can
    // re-enrol, does being refused again and again (a revoked or deactivated certificate).
    const refusedRepeatedly = this.#refusalsInARow >= REFUSALS_BEFORE_REENROLMENT;
    if (!refused || this.#rotation || !(expired || refusedRepeatedly)) return;
    const recovery = this.#profile.cohort.recovery;
    if ((recovery === 'bootstrap' || this.#protocol.worksOffline) && this.#bootstrap && this.#bootstrap.certificate.notAfter >= t) {
      if (t < this.#nextRecoveryAt) {
        // A re-enrolment failed a moment ago (its new certificate refused too): wait out its backoff.
        this.#connectAt = this.#nextRecoveryAt;
        return;
      }
      this.#recoveryAttempts += 1;
      this.#nextRecoveryAt = t + this.#policy.retryDelay(this.#recoveryAttempts, this.#random);
      this.#env.emit({ type: 'device.recovery', t, device: this.id, via: 'bootstrap', certificateExpiredAt: notAfter });
      this.#connectAt = Number.POSITIVE_INFINITY;
      await this.#rotate(t, this.#env.recoveryProtocol());
      if (this.#session) {
        this.#refusalsInARow = 0;
        this.#recoveryAttempts = 0;
        this.#nextRecoveryAt = Number.NEGATIVE_INFINITY;
      } else {
        this.#connectAt = this.#nextRecoveryAt;
      }
      return;
    }
    if (!expired) return;
    this.#status = 'locked-out';
    this.#connectAt = Number.POSITIVE_INFINITY;
    this.#env.counters(this.cohortIndex).lockedOut += 1;
    this.#env.emit({ type: 'device.locked-out', t, device: this.id, certificateExpiredAt: notAfter });
  }

  async #openBootstrapSession(t: number): Promise<{ ok: true; session: BrokerSession } | { ok: false; cause: Cause }> {
    if (!this.#bootstrap) return { ok: false, cause: 'locked_out' };
    const outcome = await this.#dial(t, this.#bootstrap, 'bootstrap');
    if (!outcome.ok) return { ok: false, cause: outcome.cause };
    return { ok: true, session: outcome.session };
  }

  #reconnectDelay(attempt: number): number {
    this.#lastReconnectDelay = this.#reconnect(attempt, this.#random, this.#lastReconnectDelay);
    return this.#lastReconnectDelay;
  }

  /** The true time at which the renewal policy, read on this device's clock, says to renew the current certificate. */
  #scheduleRenewal(from: number, justRotated = false): number {
    if (!this.#protocol.deviceInitiated) return Number.POSITIVE_INFINITY;
    const target = this.#policy.renewAt(this.#credentials.certificate, this.#random);
    const at = this.#clock.trueTimeWhenReading(target, from, this.#env.timeline.end) ?? Number.POSITIVE_INFINITY;
    // A clock far ahead sees a brand-new certificate already due: it renews again, but after a backoff, not at
    // the same instant over and over.
    return justRotated && at <= from ? from + this.#policy.retryDelay(1, this.#random) : at;
  }
}


/**
 * The broker refused the device itself: "not authorized" from the embedded broker (whose record says why), or a
 * real broker's certificate alert or refusing CONNACK. A real broker that is down or restarting (CONNACK 3), or a
 * handshake that failed for want of a shared cipher, refused no identity.
 */
function refusedIdentity(outcome: Extract<DialOutcome, { ok: false }>): boolean {
  const { cause, inferredFrom } = outcome;
  return inferredFrom === undefined ? cause === 'connection_refused' : refusesIdentity({ cause, inferredFrom });
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function parseJson<T>(payload: Buffer): T | undefined {
  try {
    return JSON.parse(payload.toString()) as T;
  } catch {
    return undefined;
  }
}
