import { createSecureContext, type SecureContext } from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { Cause } from '../sim/causes.js';
import type { RotationMethod, RotationStep } from '../sim/events/fleet-event.js';
import type { DeliveryMessage, RotationRequest, RotationResponse, SyncResponse } from '../sim/device-api/messages.js';
import { deviceTopics } from '../sim/device-api/topics.js';
import type { DeviceProfile } from '../sim/plan/device-profile.js';
import { createCsr, generateKeyPair } from '../sim/pki/index.js';
import type { Backoff } from '../sim/policy/backoff.js';
import type { RenewalPolicy } from '../sim/policy/renewal-policy.js';
import { SeededRandom } from '../sim/random/seeded-random.js';
import { increment } from '../sim/stats/fleet-counters.js';
import { DeviceClock } from '../sim/time/device-clock.js';
import { TrustStore } from '../sim/trust/trust-store.js';
import type { ParsedCertificate, Verdict } from '../sim/verify/types.js';
import { verifyChainAt } from '../sim/verify/verify-chain.js';
import { dialBroker, type BrokerSession } from './broker-session.js';
import type { DeviceEnvironment } from './device-environment.js';
import { OutageSchedule } from './outage-schedule.js';
import type { DeviceCredentials } from './protocol.js';

type Status = 'connected' | 'failing' | 'offline' | 'idle' | 'locked-out';

interface PendingInstall {
  /** True time at which to install. */
  at: number;
  credentials: Credentials;
  method: RotationMethod;
  /** Wall ms the request took (key generation to certificate received); 0 for a push. */
  requestMs: number;
}

interface Credentials extends DeviceCredentials {
  certificate: ParsedCertificate;
  context?: SecureContext | undefined;
}

/**
 * One simulated device: its own clock, trust store, credentials and MQTT session, acting at true times the shard
 * hands it. Everything it decides is drawn from its own seeded randomness, so device i behaves the same whichever
 * worker hosts it.
 */
export class SimulatedDevice {
  readonly id: string;
  readonly cohortIndex: number;
  readonly #env: DeviceEnvironment;
  readonly #profile: DeviceProfile;
  readonly #clock: DeviceClock;
  readonly #trust: TrustStore;
  readonly #random: SeededRandom;
  readonly #policy: RenewalPolicy;
  readonly #reconnect: Backoff;
  #lastReconnectDelay: number | undefined;
  #lastRotationDelay: number | undefined;
  readonly #outages: OutageSchedule;
  #credentials: Credentials;
  #session: BrokerSession | undefined;
  #status: Status = 'idle';
  #connectAt: number;
  #dropAt = Number.POSITIVE_INFINITY;
  #renewAt: number;
  #outageStartAt: number;
  #outageEndAt = Number.POSITIVE_INFINITY;
  /** A certificate received but not installed yet: a push effective later, or a CSR the CA's queue serves later. */
  #pendingInstall: PendingInstall | undefined;
  #failedConnects = 0;
  #rotationAttempts = 0;
  #lastActedAt: number;

  constructor(env: DeviceEnvironment, profile: DeviceProfile, credentials: DeviceCredentials) {
    this.#env = env;
    this.#profile = profile;
    this.id = profile.id;
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
    this.#reconnect = env.reconnectBackoff(profile.cohortIndex);
    this.#outages = new OutageSchedule(cohort.connectivity.outages, profile.outagePhases, start);
    this.#credentials = this.#adopt(credentials);
    this.#connectAt = start;
    this.#lastActedAt = start;
    this.#outageStartAt = this.#outages.nextStartAfter(start - 1);
    this.#renewAt = this.#scheduleRenewal(start);
  }

  get status(): Status {
    return this.#status;
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
      online ? this.#renewAt : Number.POSITIVE_INFINITY,
      this.#pendingInstall?.at ?? Number.POSITIVE_INFINITY,
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
    this.#lastActedAt = t;
    await this.#act(t);
    return true;
  }

  /**
   * The broker dropped every session at true time t (a restart). The device learns it as its connection closes;
   * it reconnects after its backoff, as any client would after an unexpected disconnect.
   */
  sessionDroppedByBroker(t: number): void {
    const session = this.#session;
    if (!session) return;
    this.#session = undefined;
    this.#dropAt = Number.POSITIVE_INFINITY;
    this.#status = 'failing';
    this.#failedConnects += 1;
    this.#connectAt = t + this.#reconnectDelay(this.#failedConnects);
    void session.close();
  }

  /** Ends the session at the end of a run. */
  async shutdown(): Promise<void> {
    await this.#session?.close();
    this.#session = undefined;
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
    if (this.#pendingInstall && t === this.#pendingInstall.at) {
      const pending = this.#pendingInstall;
      this.#pendingInstall = undefined;
      await this.#install(t, pending);
      return;
    }
    if (t === this.#connectAt) {
      await this.#connect(t);
      return;
    }
    if (this.#session && t === this.#renewAt) await this.#rotate(t);
  }

  async #connect(t: number): Promise<boolean> {
    this.#connectAt = Number.POSITIVE_INFINITY;
    const counters = this.#env.counters(this.cohortIndex);
    counters.connectAttempts += 1;
    const outcome = await this.#dial(t, this.#credentials);
    if (!outcome.ok) {
      this.#status = 'failing';
      increment(counters.connectFailures, outcome.cause);
      this.#failedConnects += 1;
      this.#connectAt = t + this.#reconnectDelay(this.#failedConnects);
      this.#noteLockOut(t, outcome.cause);
      return false;
    }
    this.#failedConnects = 0;
    this.#lastReconnectDelay = undefined;
    counters.connectsSucceeded += 1;
    await this.#startSession(t, outcome.session);
    if (this.#renewAt <= t) await this.#rotate(t);
    return true;
  }

  async #dial(t: number, credentials: Credentials) {
    credentials.context ??= createSecureContext({
      key: credentials.keyPem,
      cert: credentials.certificatePem + credentials.chainPems.join(''),
    });
    const env = this.#env;
    const outcome = await dialBroker({
      address: env.broker.address,
      port: env.broker.port,
      serverName: this.#serverName,
      secureContext: credentials.context,
      clientId: this.id,
      t,
      pool: env.pool,
      judge: (chain) => this.#judgeBroker(chain, t),
      timeoutMs: env.options.connectTimeoutMs,
    });
    if (outcome.ok) env.histograms.connect.recordValue(Math.max(1, Math.round(outcome.latencyMs)));
    env.emit({
      type: 'device.connect',
      t,
      device: this.id,
      cause: outcome.ok ? 'ok' : outcome.cause,
      certificateCause: outcome.verdict?.cause === outcome.verdict?.certificateCause ? undefined : outcome.verdict?.certificateCause,
      clockSkewMs: outcome.verdict?.clockSkewMs === 0 ? undefined : outcome.verdict?.clockSkewMs,
      path: outcome.verdict?.path.map((c) => c.label),
      failed: outcome.verdict?.failed?.certificate.label,
    });
    return outcome;
  }

  /** The host name this device dials: its cohort's endpoint, or the broker's. */
  get #serverName(): string {
    return this.#profile.cohort.connectivity.host ?? this.#env.broker.serverName;
  }

  #judgeBroker(chain: ParsedCertificate[], t: number): Verdict {
    const [leaf, ...presented] = chain;
    if (!leaf) {
      return { cause: 'untrusted_root', certificateCause: 'untrusted_root', path: [], clockSkewMs: this.#clock.skew(t) };
    }
    const cohort = this.#profile.cohort;
    return verifyChainAt({
      leaf,
      presented,
      anchors: this.#trust.anchorsAt(t),
      at: this.#clock.read(t),
      trueTime: t,
      policy: { pathBuilding: cohort.pathBuilding, anchorExpiry: cohort.anchorExpiry },
      purpose: 'serverAuth',
      hostname: this.#serverName,
      pins: this.#trust.pins.length > 0 ? this.#trust.pins : undefined,
      pool: this.#env.pool,
    });
  }

  async #startSession(t: number, session: BrokerSession): Promise<void> {
    this.#session = session;
    this.#status = 'connected';
    const reconnectEvery = this.#profile.cohort.connectivity.reconnectEvery;
    this.#dropAt = reconnectEvery === undefined ? Number.POSITIVE_INFINITY : t + Math.max(1, Math.round(this.#random.exponential(reconnectEvery)));
    session.onUnexpectedClose(() => {
      if (this.#session !== session) return;
      // The broker or the network ended the session (a broker restart, a session takeover): reconnect after the
      // cohort's backoff, counted from the current simulated time at the earliest.
      this.#session = undefined;
      this.#status = 'failing';
      this.#failedConnects += 1;
      this.#connectAt = Math.max(this.#lastActedAt, this.#env.now()) + this.#reconnectDelay(this.#failedConnects);
    });
    const topics = deviceTopics(this.id);
    session.onMessage(topics.delivery, (_topic, payload) => {
      const message = parseJson<DeliveryMessage>(payload);
      if (!message) return;
      this.#receive(message);
      session.publish(topics.deliveryAck, { updateId: message.updateId, result: 'received' }).catch(() => undefined);
    });
    try {
      await session.subscribe(topics.subscription);
      const sync = await session.request<SyncResponse>(topics.syncRequest, { t }, topics.syncResponse, () => true, this.#env.options.rotationTimeoutMs);
      for (const message of sync?.deliveries ?? []) this.#receive(message);
    } catch {
      // A refused subscription leaves the session without deliveries; the device still counts as connected.
    }
  }

  #receive(message: DeliveryMessage): void {
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
    // Server push: the backend sent a certificate and its key; the device installs them at their effective time.
    this.#env.counters(this.cohortIndex).rotationsAttempted += 1;
    this.#rotationAttempts += 1;
    this.#pendingInstall = {
      at: message.effectiveAt,
      credentials: this.#adopt({ keyPem: message.key, certificatePem: message.certificate, chainPems: message.chain }),
      method: 'push',
      requestMs: 0,
    };
  }

  async #endSession(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    this.#dropAt = Number.POSITIVE_INFINITY;
    if (this.#status === 'connected') this.#status = 'idle';
    await session?.close();
  }

  /** Key, CSR over MQTT, check the certificate, swap it in and reconnect with it; back off on failure. */
  async #rotate(t: number): Promise<void> {
    const session = this.#session;
    if (!session) return;
    const started = performance.now();
    const counters = this.#env.counters(this.cohortIndex);
    counters.rotationsAttempted += 1;
    this.#rotationAttempts += 1;
    const keyPair = generateKeyPair(this.#env.keyAlgorithm);
    const csr = createCsr({ subject: { CN: this.id }, keyPair });
    const topics = deviceTopics(this.id);
    const requestId = `${this.id}-${t}-${this.#rotationAttempts}`;
    const request: RotationRequest = { requestId, t, csr: csr.toString('base64') };
    const response = await session.request<RotationResponse>(
      topics.csr,
      request,
      topics.certificate,
      (reply) => reply.requestId === requestId,
      this.#env.options.rotationTimeoutMs,
    );
    if (!response) return this.#rotationFailed(t, 'rotation_timeout', 'csr', 'request');
    if (!response.ok) return this.#rotationFailed(t, 'rotation_rejected', 'csr', 'request');
    const pending: PendingInstall = {
      at: Math.max(t, response.issuedAt),
      credentials: this.#adopt({
        keyPem: keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        certificatePem: response.certificate,
        chainPems: response.chain,
      }),
      method: 'csr',
      requestMs: performance.now() - started,
    };
    // A CA with a backlog serves the request later in simulated time: the device waits for it.
    if (pending.at > t) {
      this.#pendingInstall = pending;
      this.#renewAt = Number.POSITIVE_INFINITY;
    } else {
      await this.#install(t, pending);
    }
  }

  /** Checks a received certificate at the device's clock, then swaps it in. */
  async #install(t: number, pending: PendingInstall): Promise<void> {
    const check = this.#judgeOwnCertificate(pending.credentials, t);
    if (check.cause !== 'ok') return this.#rotationFailed(t, check.cause, pending.method, 'check');
    await this.#switchCredentials(t, pending);
  }

  /** The device checks a certificate it was given before using it: its key, its issuer, its dates at its clock. */
  #judgeOwnCertificate(candidate: Credentials, t: number): Verdict {
    return verifyChainAt({
      leaf: candidate.certificate,
      presented: candidate.chainPems.flatMap((pem) => this.#env.pool.parsePem(pem)),
      anchors: this.#env.identityAnchors,
      at: this.#clock.read(t),
      trueTime: t,
      policy: { pathBuilding: 'trusted-first', anchorExpiry: 'enforce' },
      purpose: 'clientAuth',
      pool: this.#env.pool,
    });
  }

  /** Reconnects with new credentials; keeps them if the broker admits the device, else rolls back. */
  async #switchCredentials(t: number, rotation: PendingInstall): Promise<void> {
    const previous = this.#credentials;
    const candidate = rotation.credentials;
    const reconnectStarted = performance.now();
    await this.#endSession();
    const outcome = await this.#dial(t, candidate);
    if (outcome.ok) {
      this.#credentials = candidate;
      await this.#startSession(t, outcome.session);
      // Wall time of the request (key, CSR, CA) plus the reconnect; time spent waiting for simulated time excluded.
      const latencyMs = rotation.requestMs + (performance.now() - reconnectStarted);
      this.#env.histograms.rotation.recordValue(Math.max(1, Math.round(latencyMs)));
      this.#env.counters(this.cohortIndex).rotationsSucceeded += 1;
      this.#env.emit({
        type: 'device.rotation',
        t,
        device: this.id,
        method: rotation.method,
        outcome: 'succeeded',
        cause: 'ok',
        latencyMs: round(latencyMs),
        issuedAfterMs: rotation.method === 'csr' ? round(rotation.requestMs) : undefined,
        attempt: this.#rotationAttempts,
      });
      this.#rotationAttempts = 0;
      this.#lastRotationDelay = undefined;
      this.#renewAt = this.#scheduleRenewal(t);
      return;
    }
    // Rollback: the old certificate is still installed; reconnect with it.
    this.#credentials = previous;
    this.#connectAt = t;
    this.#rotationFailed(t, outcome.cause, rotation.method, 'reconnect');
  }

  #rotationFailed(t: number, cause: Cause, method: RotationMethod, step: RotationStep): void {
    increment(this.#env.counters(this.cohortIndex).rotationsFailed, cause);
    this.#env.emit({ type: 'device.rotation', t, device: this.id, method, outcome: 'failed', cause, step, attempt: this.#rotationAttempts });
    this.#lastRotationDelay = this.#policy.retryDelay(this.#rotationAttempts, this.#random, this.#lastRotationDelay);
    this.#renewAt = t + this.#lastRotationDelay;
  }

  /**
   * A connect the broker refused after the device's own certificate expired locks the device out: it cannot renew
   * over mutual TLS any more, and without a recovery path it stops trying.
   */
  #noteLockOut(t: number, cause: Cause): void {
    const notAfter = this.#credentials.certificate.notAfter;
    if (cause !== 'connection_refused' || t <= notAfter) return;
    this.#status = 'locked-out';
    this.#connectAt = Number.POSITIVE_INFINITY;
    this.#env.counters(this.cohortIndex).lockedOut += 1;
    this.#env.emit({ type: 'device.locked-out', t, device: this.id, certificateExpiredAt: notAfter });
  }

  #reconnectDelay(attempt: number): number {
    this.#lastReconnectDelay = this.#reconnect(attempt, this.#random, this.#lastReconnectDelay);
    return this.#lastReconnectDelay;
  }

  /** The true time at which the renewal policy, read on this device's clock, says to renew the current certificate. */
  #scheduleRenewal(from: number): number {
    const certificate = this.#credentials.certificate;
    const target = this.#policy.renewAt(certificate, this.#random);
    return this.#clock.trueTimeWhenReading(target, from, this.#env.timeline.end) ?? Number.POSITIVE_INFINITY;
  }

  #adopt(credentials: DeviceCredentials): Credentials {
    const certificate = this.#env.pool.parsePem(credentials.certificatePem)[0];
    if (!certificate) throw new Error(`device ${this.id}: no certificate in its credentials`);
    return { ...credentials, certificate };
  }
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
