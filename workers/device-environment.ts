import type { Histogram } from 'hdr-histogram-js';
import type { FleetEvent } from '../sim/events/fleet-event.js';
import type { KeyAlgorithm } from '../sim/pki/index.js';
import type { Backoff } from '../sim/policy/backoff.js';
import type { RenewalPolicy } from '../sim/policy/renewal-policy.js';
import type { CohortCounters } from '../sim/stats/fleet-counters.js';
import type { CertificatePool } from '../sim/verify/certificate-pool.js';
import type { ParsedCertificate } from '../sim/verify/types.js';
import type { BrokerSession } from './broker-session.js';
import type { ShardOptions } from './protocol.js';
import type { RotationProtocol } from './rotation/rotation-protocol.js';

/** What the devices of one shard share: the broker address, parsed certificates, counters, the event sink. */
export interface DeviceEnvironment {
  seed: number;
  timeline: { start: number; end: number };
  /** Where device `index` dials (its broker instance: i mod B), and the name it checks and sends in SNI. */
  broker: { addressOf(deviceIndex: number): { address: string; port: number }; serverName: string };
  options: ShardOptions;
  pool: CertificatePool;
  keyAlgorithm: KeyAlgorithm;
  /** A scenario certificate (authority or server certificate) by name. */
  certificate(name: string): ParsedCertificate;
  /** What a device checks a newly issued certificate of its own against: its issuing CA. */
  identityAnchors: readonly ParsedCertificate[];
  /**
   * The anchors a cohort's devices start with: its bundle (stand-ins in place of the real certificates they
   * replace), then its scenario anchors. One frozen array per cohort, shared by its devices.
   */
  trustAnchors(cohortIndex: number): readonly ParsedCertificate[];
  renewalPolicy(cohortIndex: number, deviceId: string): RenewalPolicy;
  /** How the cohort's devices get their next certificate. */
  rotationProtocol(cohortIndex: number): RotationProtocol;
  /** How a device whose certificate lapsed re-enrols with its bootstrap identity. */
  recoveryProtocol(): RotationProtocol;
  /** Backoff before reconnecting after a failed connect or a lost session. */
  reconnectBackoff(cohortIndex: number): Backoff;
  /** The true time the shard's current epoch started at: "now" for things that happen between actions. */
  now(): number;
  /**
   * A device was admitted with this client id at true time t: the broker ended every other session with that id
   * ([MQTT-3.1.4-2]), and their devices must learn it at t, not whenever their sockets' close arrives.
   */
  sessionOpened(clientId: string, session: BrokerSession, t: number): void;
  /**
   * A session published an offline notice; `acknowledged` says whether the broker took it in (PUBACK). The shard
   * counts the acknowledged ones of each epoch, and the backend waits for that many before it next delivers.
   */
  offlineNotice(acknowledged: Promise<boolean>): void;
  counters(cohortIndex: number): CohortCounters;
  histograms: { rotation: Histogram; connect: Histogram };
  emit(event: FleetEvent): void;
}
