import type { ScenarioCohort } from '../../sim/scenario/schema.js';
import { backendDriven } from './backend-driven.js';
import { attestationRotation, csrRotation } from './csr-rotation.js';
import { fleetProvisioningRotation } from './fleet-provisioning-rotation.js';
import type { RotationProtocol } from './rotation-protocol.js';

/** The rotation protocol a cohort's scenario entry names; one file per protocol. */
export function rotationProtocolFor(cohort: ScenarioCohort): RotationProtocol {
  switch (cohort.rotation.protocol) {
    case 'csr':
      return csrRotation;
    case 'attestation':
      return attestationRotation;
    case 'fleet-provisioning':
      return fleetProvisioningRotation;
    case 'job':
    case 'push':
      return backendDriven(cohort.rotation.protocol);
  }
}

/** A device whose certificate lapsed re-enrols by CSR over a session on its bootstrap identity. */
export const recoveryProtocol: RotationProtocol = attestationRotation;
