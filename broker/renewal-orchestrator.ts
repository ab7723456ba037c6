import type { DeliveryMessage } from '../sim/device-api/messages.js';
import type { BackendDrivenMethod } from '../sim/device-api/rotation-protocols.js';
import type { BackendRotation } from '../sim/plan/backend-rotations.js';
import type { DeviceClock } from '../sim/time/device-clock.js';
import type { DeviceRegistry } from './device-registry.js';

export interface OrchestratorOptions {
  registry: DeviceRegistry;
  clock: DeviceClock;
  devices: ReadonlyMap<string, BackendRotation>;
  /** The delivery that starts the protocol's rotation of a device (its backend half: a job, a push). */
  startRotation: (protocol: BackendDrivenMethod, rotation: { deviceId: string; updateId: string; t: number }) => DeliveryMessage;
}

/** A job or push not answered by a new certificate within this long is started again. */
const RETRY_AFTER_MS = 86_400_000;

/**
 * When the backend starts the rotations it drives (the protocols started by a delivery: jobs, pushes). At the start
 * of every epoch it looks at each such device's current certificate, as the registry knows it, and starts a
 * rotation when it expires within the cohort's `before` on the backend's clock; what a rotation's delivery holds
 * is the protocol's backend half's business (broker/backend/protocol-registry.ts).
 */
export class RenewalOrchestrator {
  readonly #options: OrchestratorOptions;
  readonly #started = new Map<string, { certificateKey: string; at: number; count: number }>();

  constructor(options: OrchestratorOptions) {
    this.#options = options;
  }

  /** The deliveries to send at true time t: the rotations that fell due. */
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
      out.push({ deviceId, message: this.#options.startRotation(rotation.protocol, { deviceId, updateId, t }) });
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
}
