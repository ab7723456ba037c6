import type { DeliveryMessage } from '../../sim/device-api/messages.js';
import {
  isBackendDriven,
  methodStartedBy,
  ROTATION_PROTOCOLS,
  type BackendDrivenMethod,
  type RotationDeliveryKind,
  type RotationMethod,
} from '../../sim/device-api/rotation-protocols.js';
import type { ScenarioCohort } from '../../sim/scenario/schema.js';
import { nothingToStart } from './backend-driven.js';
import { attestationRotation, csrRotation } from './csr-rotation.js';
import { fleetProvisioningRotation } from './fleet-provisioning-rotation.js';
import { jobRotation } from './job-rotation.js';
import { pushRotation } from './push-rotation.js';
import type { BackendStartedHalf, DeviceHalf, RotationHost, RotationOutcome, RotationProtocol } from './rotation-protocol.js';

/**
 * The device half of every rotation protocol, by name; one file per protocol. A `Record` over the registry's names
 * (sim/device-api/rotation-protocols.ts): a protocol without its device half, or a half that does not fit how the
 * protocol starts (a device-started one must `start`, a backend-started one must `receive` its delivery), does
 * not compile.
 */
const DEVICE_HALVES: { [M in RotationMethod]: DeviceHalf<M> } = {
  csr: csrRotation,
  'fleet-provisioning': fleetProvisioningRotation,
  attestation: attestationRotation,
  job: jobRotation,
  push: pushRotation,
};

const protocols = new Map<RotationMethod, RotationProtocol>();

/** A protocol as a device runs it: the registry's traits and the device half, built once per thread. */
export function rotationProtocol(method: RotationMethod): RotationProtocol {
  let protocol = protocols.get(method);
  if (!protocol) {
    const descriptor = ROTATION_PROTOCOLS[method];
    const half = DEVICE_HALVES[method];
    protocol = {
      method,
      deviceInitiated: !isBackendDriven(method),
      worksOffline: descriptor.worksOffline,
      start: 'start' in half ? (host, t, attempt) => half.start(host, t, attempt) : nothingToStart,
      attach: attachOf(half),
    };
    protocols.set(method, protocol);
  }
  return protocol;
}

/** A backend-started half's attach, taking any delivery (each half is handed only deliveries of its own kind). */
function attachOf(half: DeviceHalf<RotationMethod>): RotationProtocol['attach'] {
  if (!('attach' in half) || !half.attach) return undefined;
  const attach = (half as BackendStartedHalf<RotationDeliveryKind>).attach;
  return attach && ((host, session, t, receive) => attach(host, session, t, receive));
}

/** The rotation protocol a cohort's scenario entry names. */
export function rotationProtocolFor(cohort: ScenarioCohort): RotationProtocol {
  return rotationProtocol(cohort.rotation.protocol);
}

/** A device whose certificate lapsed re-enrols by CSR over a session on its bootstrap identity. */
export const recoveryProtocol: RotationProtocol = rotationProtocol('attestation');

/**
 * The rotation a delivery from the backend starts: the protocol that starts with a delivery of its kind, and its
 * first step, to run at the delivery's effective time.
 */
export function rotationFromDelivery(
  host: RotationHost,
  message: Extract<DeliveryMessage, { kind: RotationDeliveryKind }>,
  attempt: number,
): { method: BackendDrivenMethod; resume: (t: number) => Promise<RotationOutcome> } {
  const method = methodStartedBy(message.kind);
  // The registry pairs each delivery kind with one protocol, whose half takes messages of that kind.
  const half = DEVICE_HALVES[method] as BackendStartedHalf<RotationDeliveryKind>;
  return { method, resume: half.receive(host, message, attempt) };
}
