import type { FleetEvent } from '../../sim/events/fleet-event.js';
import { inWindow, messageLost, type DeviceFaults } from '../../sim/plan/fault-plan.js';

/**
 * The injected faults as one device lives them, decided on the device's side of the network so that their
 * consequences play out in simulated time:
 *
 * - a partition of its cohort: every connect in the window fails as a dead network makes it fail, with the transport
 *   cause `broker_unreachable`, without dialling (its sessions were dropped at the window's start by the broker);
 * - message loss: a reply the backend sent in the window (a CSR's certificate, a create-from-csr answer) is lost with
 *   the fault's rate, drawn from the seed, the device and the request id (sim/plan/fault-plan.ts messageLost). The
 *   device discards the reply it was sent and acts as a device whose request timed out: the rotation fails with
 *   `rotation_timeout` when its request timeout would end in simulated time, never after a wall-clock wait.
 */
export class DeviceFaultWindows {
  readonly #faults: DeviceFaults;
  readonly #seed: number;
  readonly #deviceId: string;
  readonly #emit: (event: FleetEvent) => void;

  constructor(faults: DeviceFaults, seed: number, deviceId: string, emit: (event: FleetEvent) => void) {
    this.#faults = faults;
    this.#seed = seed;
    this.#deviceId = deviceId;
    this.#emit = emit;
  }

  /** Whether a connect at true time t finds the broker unreachable (and records it). */
  partitioned(t: number): boolean {
    const cut = this.#faults.partitions.find((p) => inWindow(p, t));
    if (cut) this.#emit({ type: 'fault.effect', t, fault: cut.fault, device: this.#deviceId, effect: 'connect-failed' });
    return cut !== undefined;
  }

  /** Whether the reply to request `messageId`, sent at true time t, is lost (every reply in a window is recorded). */
  replyLost(messageId: string, t: number): boolean {
    const loss = this.#faults.losses.find((l) => inWindow(l, t));
    if (!loss) return false;
    const lost = messageLost(this.#seed, this.#deviceId, messageId, loss.rate);
    this.#emit({ type: 'fault.effect', t, fault: loss.fault, device: this.#deviceId, effect: lost ? 'message-lost' : 'message-delivered' });
    return lost;
  }
}
