import { performance } from 'node:perf_hooks';
import type { MessagePort } from 'node:worker_threads';
import { build, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import type { FleetEvent } from '../sim/events/fleet-event.js';
import { deviceProfile } from '../sim/plan/device-profile.js';
import type { SessionsDropped } from '../sim/plan/fleet-plan.js';
import { cohortTrustAnchors } from '../sim/scenario-pki/cohort-anchors.js';
import { cohortPolicies, type CohortPolicies } from '../sim/policy/cohort-policies.js';
import { emptyCohortCounters, emptyStatusCounts, type CohortCounters, type StatusCounts } from '../sim/stats/fleet-counters.js';
import { CertificatePool } from '../sim/verify/certificate-pool.js';
import { pkiCertificateLookup } from '../sim/scenario-pki/pki-certificate.js';
import { brokerAddressOf } from './broker-address.js';
import type { DeviceEnvironment } from './device-environment.js';
import type { CoordinatorMessage, ShardMessage, ShardTask } from './protocol.js';
import { SimulatedDevice } from './device/simulated-device.js';
import { recoveryProtocol, rotationProtocol, rotationProtocolFor } from './rotation/protocol-registry.js';

const EVENT_BATCH = 500;

/**
 * The devices of one shard (device i lives on shard i mod N) inside one worker thread. The coordinator drives it
 * epoch by epoch; within an epoch every due device runs up to the epoch's end, at most `concurrency` at once.
 */
export class ShardRunner {
  readonly #task: ShardTask;
  readonly #devices: SimulatedDevice[];
  /** The devices of each client id (several when a cohort shares an identity). */
  readonly #byClientId = new Map<string, SimulatedDevice[]>();
  readonly #counters: CohortCounters[];
  readonly #histograms: { rotation: Histogram; connect: Histogram };
  #events: FleetEvent[] = [];
  #epochStart: number;
  /** Offline notices published this epoch and not yet acknowledged or refused, and those the broker acknowledged. */
  #pendingNotices: Promise<void>[] = [];
  #offlineNotices = 0;

  static async create(task: ShardTask): Promise<ShardRunner> {
    return new ShardRunner(task, await cohortPolicies(task.plan.scenario.fleet.cohorts));
  }

  private constructor(task: ShardTask, policies: CohortPolicies[]) {
    this.#task = task;
    const { plan, pki } = task;
    const scenario = plan.scenario;
    const pool = new CertificatePool();
    const certificate = pkiCertificateLookup(pki, pool);
    // Devices restarted mid-run (their process died) power on then, with their factory credentials.
    const bootAt = task.bootAt ?? scenario.timeline.start;
    this.#epochStart = bootAt;
    const protocols = scenario.fleet.cohorts.map(rotationProtocolFor);
    const policyOf = (cohort: number): CohortPolicies => {
      const found = policies[cohort];
      if (!found) throw new RangeError(`no policies for cohort ${cohort}`);
      return found;
    };
    this.#counters = scenario.fleet.cohorts.map(() => emptyCohortCounters());
    this.#histograms = { rotation: build(), connect: build() };
    // Parsed once per worker: a root-store bundle holds 100+ certificates, and every device of a cohort shares them.
    const trustAnchors = scenario.fleet.cohorts.map((_, cohort) => Object.freeze(cohortTrustAnchors(scenario, pki, cohort, certificate)));
    const env: DeviceEnvironment = {
      seed: plan.seed,
      timeline: { start: bootAt, end: scenario.timeline.end },
      broker: { addressOf: (index) => brokerAddressOf(task.broker, index), serverName: scenario.broker.host },
      options: task.options,
      pool,
      keyAlgorithm: scenario.pki.deviceCertificates.key,
      certificate,
      identityAnchors: [certificate(scenario.pki.deviceCertificates.issuer)],
      trustAnchors: (cohort) => trustAnchors[cohort] ?? [],
      renewalPolicy: (cohort, deviceId) => policyOf(cohort).renewal(deviceId),
      reconnectBackoff: (cohort) => policyOf(cohort).reconnect,
      rotationProtocol: (cohort) => protocols[cohort] ?? rotationProtocol('csr'),
      recoveryProtocol: () => recoveryProtocol,
      now: () => this.#epochStart,
      sessionOpened: (clientId, session, t) => {
        for (const device of this.#byClientId.get(clientId) ?? []) device.sessionTakenOver(session, t);
      },
      offlineNotice: (acknowledged) => {
        this.#pendingNotices.push(
          acknowledged.then((ok) => {
            if (ok) this.#offlineNotices += 1;
          }),
        );
      },
      counters: (cohort) => this.#counters[cohort] ?? emptyCohortCounters(),
      histograms: this.#histograms,
      emit: (event) => this.#emit(event),
    };
    this.#devices = plan.devices
      .filter((d) => d.index % task.shards === task.shard)
      .map((d) => {
        const credentials = task.credentials[d.id];
        if (!credentials) throw new Error(`no factory credentials for ${d.id}`);
        return new SimulatedDevice(env, deviceProfile(plan, d), credentials);
      });
    for (const device of this.#devices) {
      this.#byClientId.set(device.clientId, [...(this.#byClientId.get(device.clientId) ?? []), device]);
      device.boot();
    }
  }

  get deviceCount(): number {
    return this.#devices.length;
  }

  /** Runs every device due in [from, to); returns when all of them have finished. */
  async advance(from: number, to: number, dropped: SessionsDropped = {}): Promise<{ nextDueAt: number; status: StatusCounts[]; offlineNotices: number }> {
    this.#epochStart = from;
    const ids = new Set(dropped.clientIds ?? []);
    for (const device of this.#devices) {
      if (dropped.all || ids.has(device.clientId)) device.sessionDroppedByBroker(from);
    }
    if (this.#task.options.ordered) await this.#runInOrder(to);
    else await this.#runConcurrently(to);
    for (const device of this.#devices) device.noticeEndedSession(from);
    // Every notice of the epoch acknowledged (or its session ended): the count the backend waits for is final.
    while (this.#pendingNotices.length > 0) await Promise.all(this.#pendingNotices.splice(0));
    const offlineNotices = this.#offlineNotices;
    this.#offlineNotices = 0;
    let nextDueAt = Number.POSITIVE_INFINITY;
    const status = this.#task.plan.scenario.fleet.cohorts.map(() => emptyStatusCounts());
    for (const device of this.#devices) {
      nextDueAt = Math.min(nextDueAt, device.nextWake);
      const counts = status[device.cohortIndex];
      if (!counts) continue;
      if (device.status === 'connected') counts.connected += 1;
      else if (device.status === 'failing' || device.status === 'locked-out') counts.failing += 1;
      else if (device.status === 'offline') counts.offline += 1;
      if (device.renewalOverdue(to)) counts.renewalBacklog += 1;
    }
    this.flushEvents();
    return { nextDueAt, status, offlineNotices };
  }

  /** Up to `concurrency` devices at once, each running all its actions of the epoch. */
  async #runConcurrently(to: number): Promise<void> {
    const due = this.#devices.filter((d) => d.nextWake < to);
    let next = 0;
    const lane = async () => {
      while (next < due.length) {
        const device = due[next];
        next += 1;
        await device?.runUntil(to);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#task.options.concurrency, due.length) }, lane));
  }

  /**
   * One action at a time, always the earliest (ties: the lowest device index). Outcomes that depend on the order in
   * which devices reach the broker (rate limits, issuance queues, shared client ids) are then the same on every run.
   */
  async #runInOrder(to: number): Promise<void> {
    for (;;) {
      let earliest: SimulatedDevice | undefined;
      for (const device of this.#devices) {
        if (device.nextWake < (earliest?.nextWake ?? to)) earliest = device;
      }
      if (!earliest) return;
      await earliest.step(to);
    }
  }

  flushEvents(): void {
    if (this.#events.length === 0) return;
    this.#post({ type: 'events', shard: this.#task.shard, events: this.#events });
    this.#events = [];
  }

  postStats(final: boolean): void {
    this.#post({
      type: 'stats',
      shard: this.#task.shard,
      final,
      counters: this.#counters,
      histograms: {
        rotationLatencyMs: encodeIntoCompressedBase64(this.#histograms.rotation),
        connectLatencyMs: encodeIntoCompressedBase64(this.#histograms.connect),
      },
    });
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.#devices.map((d) => d.shutdown()));
    this.flushEvents();
  }

  #emit(event: FleetEvent): void {
    this.#events.push(event);
    if (this.#events.length >= EVENT_BATCH) this.flushEvents();
  }

  #post(message: ShardMessage): void {
    this.#task.port.postMessage(message);
  }
}

/** Serves one shard over its port until the coordinator says stop. */
export async function serveShard(task: ShardTask): Promise<void> {
  const port: MessagePort = task.port;
  const post = (message: ShardMessage) => port.postMessage(message);
  let runner: ShardRunner;
  try {
    runner = await ShardRunner.create(task);
  } catch (error) {
    post({ type: 'failed', shard: task.shard, message: (error as Error).message });
    return;
  }
  post({ type: 'ready', shard: task.shard, devices: runner.deviceCount });
  let lastStats = 0;
  await new Promise<void>((resolve) => {
    let queue = Promise.resolve();
    port.on('message', (message: CoordinatorMessage) => {
      queue = queue.then(async () => {
        if (message.type === 'advance') {
          const result = await runner.advance(message.from, message.to, message.sessionsDropped);
          // Histograms every few seconds of wall time, so an interrupted run still has recent latencies.
          if (performance.now() - lastStats > 2_000) {
            runner.postStats(false);
            lastStats = performance.now();
          }
          post({ type: 'epoch-done', shard: task.shard, epoch: message.epoch, ...result });
        } else {
          await runner.shutdown();
          runner.postStats(true);
          port.close();
          resolve();
        }
      }).catch((error: Error) => {
        post({ type: 'failed', shard: task.shard, message: error.stack ?? error.message });
      });
    });
  });
}
