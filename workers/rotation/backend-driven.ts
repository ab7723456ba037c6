import type { RotationOutcome } from './rotation-protocol.js';

/**
 * What a device of a protocol the backend starts (a job, a push) does when its retry after a failed rotation falls
 * due: it has nothing to send, and the attempt fails as timed out; the backend starts the rotation again.
 */
export async function nothingToStart(): Promise<RotationOutcome> {
  return { kind: 'failed', cause: 'rotation_timeout', step: 'request' };
}
