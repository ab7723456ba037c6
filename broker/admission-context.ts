import type { ParsedCertificate } from '../sim/verify/types.js';
import type { CertificatePool } from '../sim/verify/certificate-pool.js';
import type { DeviceClock } from '../sim/time/device-clock.js';
import type { BrokerConfig } from './broker-config.js';
import type { AdmissionContext, AdmissionDecision } from './device-admission.js';
import type { DeviceRegistry } from './device-registry.js';
import type { EpochWindow } from './epoch-window.js';
import type { CapacityGate } from './limits/capacity-gate.js';
import type { RevocationRegistry } from './revocation-registry.js';

/** The registers and clocks one admission judges with, wherever the TLS listener that asks it runs. */
export interface AdmissionParts {
  pool: CertificatePool;
  clock: DeviceClock;
  epoch: EpochWindow;
  /** The accepted device authorities now (a scenario event changes them). */
  anchors: () => readonly ParsedCertificate[];
  certificate: (name: string) => ParsedCertificate;
  registry: DeviceRegistry;
  revocations: RevocationRegistry;
  capacity: CapacityGate;
  onAdmission: (decision: AdmissionDecision) => void;
  backend: { clientId: string; fingerprint: string };
}

/** The admission context of the embedded broker, one process or several instances: the config's rules, these registers. */
export function admissionContext(config: BrokerConfig, parts: AdmissionParts): AdmissionContext {
  return {
    pool: parts.pool,
    clock: parts.clock,
    anchors: parts.anchors,
    bootstrapAnchors: config.bootstrapAuthorities.map(parts.certificate),
    renewAfterExpiryMs: config.renewAfterExpiryMs,
    clientIdMustMatchCertificate: config.clientIdMustMatchCertificate,
    isRevoked: parts.revocations.isRevoked,
    epoch: parts.epoch,
    timeClaims: config.timeClaims,
    capacity: (clientId, t) => parts.capacity.admit(clientId, t),
    certificateStatus: (leaf) => parts.registry.statusOf(leaf),
    onAdmission: parts.onAdmission,
    backend: parts.backend,
  };
}
