import type { DeliveryMessage, JobCommit, JobCommitReply } from '../sim/device-api/messages.js';
import { deviceTopics } from '../sim/device-api/topics.js';
import type { KeyAlgorithm } from '../sim/pki/index.js';
import type { DeviceClock } from '../sim/time/device-clock.js';
import type { BrokerLink } from './backend/broker-link.js';
import type { DeviceCa } from './device-ca.js';
import type { DeviceRegistry } from './device-registry.js';
import { pushMessage } from './planned-deliveries.js';
import { publishJson } from './publish-json.js';
import { subscribeJson, type RequestGuard } from './subscribe-json.js';

/** Devices whose rotations the backend starts: as an AWS IoT-style job, or by pushing certificate and key. */
export type BackendRotation = { protocol: 'job' | 'push'; beforeMs: number };

export interface OrchestratorOptions {
  broker: BrokerLink;
  guard: RequestGuard;
  registry: DeviceRegistry;
  ca: DeviceCa;
  clock: DeviceClock;
  keyAlgorithm: KeyAlgorithm;
  devices: ReadonlyMap<string, BackendRotation>;
  onJob: (record: { deviceId: string; t: number; jobId: string; status: 'created' | 'succeeded' | 'rejected' }) => void;
}

/** A job or push not answered by a new certificate within this long is started again. */
const RETRY_AFTER_MS = 86_400_000;

/**
 * The backend side of job and push rotations. At the start of every epoch it looks at each such device's current
 * certificate, as the registry knows it, and starts a rotation when it expires within the cohort's `before` on the
 * backend's clock. A job is committed by the device once it reconnected with the new certificate: the backend checks
 * that the connection really uses it, then deactivates the old one (the AWS rotation guidance's commit step).
 */
export class RenewalOrchestrator {
  readonly #options: OrchestratorOptions;
  readonly #started = new Map<string, { certificateKey: string; at: number; count: number }>();

  private constructor(options: OrchestratorOptions) {
    this.#options = options;
  }

  static async start(options: OrchestratorOptions): Promise<RenewalOrchestrator> {
    const orchestrator = new RenewalOrchestrator(options);
    await subscribeJson(options.broker, options.guard, {
      kind: 'job-commit',
      filter: 'devices/+/jobs/+/commit',
      serve: (deviceId, body, rest) => orchestrator.#commit(deviceId, jobIdOf(rest), body),
      refuse: (deviceId, refusal, _echo, rest) => {
        const jobId = jobIdOf(rest);
        const reply: JobCommitReply = { jobId, status: 'REJECTED', reason: `${refusal.reason}: ${refusal.problem}` };
        return publishJson(options.broker, deviceTopics(deviceId).jobCommitRejected(jobId), reply);
      },
    });
    return orchestrator;
  }

  /** The deliveries to send at true time t: jobs to start, certificates to push. */
  due(t: number): { deviceId: string; message: DeliveryMessage }[] {
    const { registry, clock } = this.#options;
    const now = clock.read(t);
    const out: { deviceId: string; message: DeliveryMessage }[] = [];
    for (const [deviceId, rotation] of this.#options.devices) {
      const current = registry.currentOf(deviceId);
      if (!current || current.notAfter - now > rotation.beforeMs) continue;
      const started = this.#started.get(deviceId);
      if (started && started.certificateKey === current.key && t - started.at < RETRY_AFTER_MS) continue;
      const count = (started?.certificateKey === current.key ? started.count : 0) + 1;
      this.#started.set(deviceId, { certificateKey: current.key, at: t, count });
      const updateId = `${rotation.protocol}-${deviceId}-${t}`;
      if (rotation.protocol === 'job') {
        const jobId = `rotate-${deviceId}-${t}`;
        this.#options.onJob({ deviceId, t, jobId, status: 'created' });
        out.push({ deviceId, message: { kind: 'job', updateId, effectiveAt: t, jobId } });
      } else {
        out.push({ deviceId, message: pushMessage(this.#options.ca, this.#options.keyAlgorithm, deviceId, updateId, t) });
      }
    }
    return out;
  }

  /** The earliest true time a rotation could fall due (so the coordinator never skips past it). */
  nextDueAt(after: number): number {
    const offset = this.#options.clock.read(after) - after;
    let next = Number.POSITIVE_INFINITY;
    for (const [deviceId, rotation] of this.#options.devices) {
      const current = this.#options.registry.currentOf(deviceId);
      if (!current) continue;
      const started = this.#started.get(deviceId);
      const due = started && started.certificateKey === current.key ? started.at + RETRY_AFTER_MS : current.notAfter - rotation.beforeMs - offset;
      next = Math.min(next, Math.max(due, after));
    }
    return next;
  }

  #commit(deviceId: string, jobId: string, body: JobCommit): Promise<void> {
    const { registry, broker } = this.#options;
    const topics = deviceTopics(deviceId);
    const current = registry.currentOf(deviceId);
    if (current && current.serialHex === body.serialHex.toLowerCase()) {
      registry.deactivateAllBut(deviceId, current.key);
      this.#options.onJob({ deviceId, t: body.t, jobId, status: 'succeeded' });
      const reply: JobCommitReply = { jobId, status: 'SUCCEEDED' };
      return publishJson(broker, topics.jobCommitAccepted(jobId), reply);
    }
    this.#options.onJob({ deviceId, t: body.t, jobId, status: 'rejected' });
    const reply: JobCommitReply = { jobId, status: 'REJECTED', reason: 'the connection does not use the certificate being committed' };
    return publishJson(broker, topics.jobCommitRejected(jobId), reply);
  }
}

/** `jobs/<jobId>/commit` -> the job's id. */
function jobIdOf(rest: string): string {
  return rest.split('/')[1] ?? '';
}
