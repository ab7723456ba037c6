import type { Histogram } from 'hdr-histogram-js';
import type { FleetEvent } from '../sim/events/fleet-event.js';
import type { KeyAlgorithm } from '../sim/pki/index.js';
import type { RenewalPolicy } from '../sim/policy/renewal-policy.js';
import type { CohortCounters } from '../sim/stats/fleet-counters.js';
import type { CertificatePool } from '../sim/verify/certificate-pool.js';
import type { ParsedCertificate } from '../sim/verify/types.js';
import type { ShardOptions } from './protocol.js';

/** What the devices of one shard share: the broker address, parsed certificates, counters, the event sink. */
export interface DeviceEnvironment {
  seed: number;
  timeline: { start: number; end: number };
  broker: { address: string; port: number; serverName: string };
  options: ShardOptions;
  pool: CertificatePool;
  keyAlgorithm: KeyAlgorithm;
  /** A scenario certificate (authority or server certificate) by name. */
  certificate(name: string): ParsedCertificate;
  /** What a device checks a newly issued certificate of its own against: its issuing CA. */
  identityAnchors: readonly ParsedCertificate[];
  renewalPolicy(cohortIndex: number): RenewalPolicy;
  counters(cohortIndex: number): CohortCounters;
  histograms: { rotation: Histogram; connect: Histogram };
  emit(event: FleetEvent): void;
}
