import type { RotationMethod } from '../../sim/events/fleet-event.js';
import type { RotationProtocol } from './rotation-protocol.js';

/**
 * Cohorts whose rotations the backend starts (a job, a push): the device does not renew on its own; it acts on the
 * delivery the backend sends (see SimulatedDevice's deliveries).
 */
export function backendDriven(method: Extract<RotationMethod, 'job' | 'push'>): RotationProtocol {
  return {
    method,
    worksOffline: false,
    deviceInitiated: false,
    async start() {
      return { kind: 'failed', cause: 'rotation_timeout', step: 'request' };
    },
  };
}
