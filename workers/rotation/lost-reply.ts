import type { RotationOutcome } from './rotation-protocol.js';

/**
 * A request whose reply an injected fault lost: the device waits out its request timeout in simulated time (the
 * harness's request timeout, read as simulated milliseconds), then fails the attempt as timed out and backs off.
 */
export function lostReply(t: number, timeoutMs: number): RotationOutcome {
  return {
    kind: 'continue',
    at: t + Math.max(1, timeoutMs),
    step: 'request',
    resume: async () => ({ kind: 'failed', cause: 'rotation_timeout', step: 'request' }),
  };
}
