import type { RotationOutcome } from './rotation-protocol.js';

/**
 * How long a device waits for the answer to a rotation request, in its own (simulated) time, before it gives up:
 * 30 s, the order of AWS IoT device SDKs' operation timeouts. Only a lost reply (an injected fault) makes a device
 * wait it out; the harness's wall-clock guard is another thing (a stalled harness, never a device's cause).
 */
export const DEVICE_REQUEST_TIMEOUT_MS = 30_000;

/**
 * A request whose reply an injected fault lost: the device waits out its request timeout in simulated time, then
 * fails the attempt as timed out and backs off.
 */
export function lostReply(t: number): RotationOutcome {
  return {
    kind: 'continue',
    at: t + DEVICE_REQUEST_TIMEOUT_MS,
    step: 'request',
    resume: async () => ({ kind: 'failed', cause: 'rotation_timeout', step: 'request' }),
  };
}
