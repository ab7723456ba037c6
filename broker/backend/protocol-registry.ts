import type { DeliveryMessage } from '../../sim/device-api/messages.js';
import { ROTATION_METHODS, type BackendDrivenMethod, type RotationMethod } from '../../sim/device-api/rotation-protocols.js';
import { startFleetProvisioningService } from '../fleet-provisioning-service.js';
import { jobRotationBackend } from '../job-rotation-service.js';
import { pushMessage } from '../planned-deliveries.js';
import { startRotationService } from '../rotation-service.js';
import type { ProtocolBackend, RotationBackend } from './protocol-backend.js';

/**
 * The backend half of every rotation protocol, by name. A `Record` over the registry's names
 * (sim/device-api/rotation-protocols.ts): a protocol without its backend half, or a backend-driven one whose half
 * cannot start a rotation, does not compile.
 */
const PROTOCOL_BACKENDS: { [M in RotationMethod]: ProtocolBackend<M> } = {
  // The CSR service also serves attestation, a job's CSR step and every re-enrolment with a bootstrap identity.
  csr: { start: (backend) => startRotationService(backend.broker, backend.ca, backend.guard) },
  'fleet-provisioning': { start: (backend) => startFleetProvisioningService(backend) },
  // Its CSRs come over a bootstrap session to csr's service; the CA tells the sessions apart by role.
  attestation: { start: async () => undefined },
  job: jobRotationBackend,
  push: {
    start: async () => undefined,
    startRotation: (backend, { deviceId, updateId, t }) => pushMessage(backend.ca, backend.keyAlgorithm, deviceId, updateId, t),
  },
};

/** Starts every protocol's backend half, in registry order, whichever protocols the scenario's cohorts use. */
export async function startProtocolBackends(backend: RotationBackend): Promise<void> {
  for (const method of ROTATION_METHODS) await PROTOCOL_BACKENDS[method].start(backend);
}

/** The delivery that starts a backend-driven rotation of a device at true time t. */
export function startBackendRotation(
  backend: RotationBackend,
  protocol: BackendDrivenMethod,
  rotation: { deviceId: string; updateId: string; t: number },
): DeliveryMessage {
  return PROTOCOL_BACKENDS[protocol].startRotation(backend, rotation);
}
