import { CA_UNAVAILABLE } from '../sim/device-api/messages.js';
import { inWindow, type PlannedFault } from '../sim/plan/fault-plan.js';

/** What a CA fault did to one request, for the results. */
export interface CaFaultEffect {
  fault: number;
  device: string;
  t: number;
  effect: 'request-refused' | 'request-delayed';
}

/**
 * The CA's injected faults, judged at the true time a request arrives.
 *
 * Unavailable: AWS IoT answers an API call it cannot serve on the `/rejected` topic with statusCode 503 and
 * errorCode "ServiceUnavailable"; a cloud CA could also stay silent. We model the answer: the device learns it at the
 * simulated time of its request and backs off with its retry policy, all in simulated time (silence would leave the
 * outcome to a wall-clock timeout). A backend-made key (server push) is not refused: the backend's own job waits
 * until the CA is back.
 *
 * Slow: a request that arrives in the window enters the CA's issuance queue `delay` later, so the certificate is
 * stamped and served that much later in simulated time (the device waits for it as for a queued CSR).
 */
export class CaAvailability {
  readonly #unavailable: PlannedFault[];
  readonly #slow: PlannedFault[];
  readonly #onEffect: (effect: CaFaultEffect) => void;

  constructor(faults: readonly PlannedFault[], onEffect: (effect: CaFaultEffect) => void) {
    this.#unavailable = faults.filter((f) => f.kind === 'ca-unavailable');
    this.#slow = faults.filter((f) => f.kind === 'ca-slow');
    this.#onEffect = onEffect;
  }

  /** The refusal reason for a CSR arriving at t, or undefined when the CA is up. */
  refusal(deviceId: string, t: number): string | undefined {
    const down = this.#unavailable.find((f) => inWindow(f, t));
    if (!down) return undefined;
    this.#onEffect({ fault: down.index, device: deviceId, t, effect: 'request-refused' });
    return CA_UNAVAILABLE.reason;
  }

  /** When a request arriving at t reaches the CA's queue: t, or later while the CA is slow (or down, for a push). */
  arrival(deviceId: string, t: number, waitWhileDown = false): number {
    let at = t;
    if (waitWhileDown) for (const f of this.#unavailable) if (inWindow(f, at)) at = f.to;
    const slow = this.#slow.find((f) => inWindow(f, t));
    if (!slow) return at;
    this.#onEffect({ fault: slow.index, device: deviceId, t, effect: 'request-delayed' });
    return at + (slow.delayMs ?? 0);
  }
}
