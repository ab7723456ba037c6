import type { DeliveryMessage } from '../../sim/device-api/messages.js';
import type { BackendDrivenMethod, DeliveryKindOf, RotationMethod } from '../../sim/device-api/rotation-protocols.js';
import type { KeyAlgorithm } from '../../sim/pki/index.js';
import type { CertificatePool } from '../../sim/verify/certificate-pool.js';
import type { DeviceCa } from '../device-ca.js';
import type { DeviceRegistry } from '../device-registry.js';
import type { JobStore } from '../jobs/job-store.js';
import type { RequestGuard } from '../subscribe-json.js';
import type { BrokerLink } from './broker-link.js';

/** What a rotation protocol's backend half may use of the backend (the device half's counterpart is RotationHost). */
export interface RotationBackend {
  /** The backend's MQTT client of the broker: the only way it reaches a device. */
  broker: BrokerLink;
  guard: RequestGuard;
  ca: DeviceCa;
  registry: DeviceRegistry;
  /** Every thing's AWS IoT Jobs executions. */
  jobs: JobStore;
  pool: CertificatePool;
  seed: number;
  keyAlgorithm: KeyAlgorithm;
  /** AWS: 1 hour from CreateCertificateFromCsr. */
  tokenLifetimeMs: number;
  /** The true time RegisterThing serves a request that arrived at t (its own queue when limited). */
  registrationSlot: (deviceId: string, t: number) => number;
  onRegistration: (record: { deviceId: string; t: number; ok: boolean; reason?: string | undefined }) => void;
  onJob: (record: { deviceId: string; t: number; jobId: string; status: 'created' | 'succeeded' | 'rejected' }) => void;
}

/** The backend half of every protocol: it subscribes to the requests its devices send (if any) when the backend starts. */
export interface ServingBackend {
  start(backend: RotationBackend): Promise<void>;
}

/** The backend half of a protocol the backend starts: also, the delivery that starts a device's rotation at t. */
export interface StartingBackend<K extends DeliveryMessage['kind']> extends ServingBackend {
  startRotation(backend: RotationBackend, rotation: { deviceId: string; updateId: string; t: number }): Extract<DeliveryMessage, { kind: K }>;
}

/** The backend half a protocol needs, by its traits (sim/device-api/rotation-protocols.ts). */
export type ProtocolBackend<M extends RotationMethod> = M extends BackendDrivenMethod ? StartingBackend<DeliveryKindOf<M>> : ServingBackend;
