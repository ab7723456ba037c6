import type { ScenarioPki } from '../sim/scenario-pki/build-scenario-pki.js';
import type { Scenario } from '../sim/scenario/schema.js';
import type { ClockModel } from '../sim/time/device-clock.js';
import type { KeyAlgorithm } from '../sim/pki/index.js';
import { planFaults, type PlannedFault } from '../sim/plan/fault-plan.js';
import type { AuditSettings } from './audit/fleet-audit.js';
import type { CapacityLimits } from './limits/capacity-gate.js';
import type { ConnectionLimits } from './listener/connection-limits.js';
import type { BackendRotation } from '../sim/plan/backend-rotations.js';

/** Everything the embedded broker needs, as plain data that crosses a thread boundary. */
export interface BrokerConfig {
  seed: number;
  pki: ScenarioPki;
  /** Server certificate name -> the authority names sent after the leaf. */
  serverChains: Record<string, string[]>;
  initialServerCertificate: string;
  /** Host name (lower case) -> the server certificate the broker serves to a client that sends it in SNI. */
  endpoints: Record<string, string>;
  /** Authorities whose device chains the broker accepts (its anchors for client certificates). */
  deviceAuthorities: string[];
  /** How the rotation service issues device certificates. */
  deviceIssuance: { issuer: string; chain: string[]; lifetimeMs: number; backdateMs: number };
  /** The broker's (and its CA's) clock; `start` is the true time it is set from. */
  clock: { model: ClockModel; start: number };
  /** The scenario's timeline: the backend's identity is valid well beyond both ends. */
  timeline: { start: number; end: number };
  /** The host name devices dial (scenario broker.host): what the backend expects the broker's certificate to name. */
  serverName: string;
  /** The address and port the broker listens on (default 127.0.0.1; 0.0.0.0 or :: for every address); port 0 picks a free port. */
  listen: { host: string; port: number };
  /** Capacity limits in simulated time (scenario broker.limits). */
  limits: CapacityLimits;
  /** Limits on misbehaving connections, in wall time and bytes (scenario broker.connections). */
  connections: ConnectionLimits;
  /** Authorities of bootstrap identities, admitted for provisioning only. */
  bootstrapAuthorities: string[];
  renewAfterExpiryMs: number | undefined;
  ownershipTokenLifetimeMs: number;
  clientIdMustMatchCertificate: boolean;
  /** Devices whose rotations the backend starts (job and push cohorts). */
  backendRotations: Map<string, BackendRotation>;
  keyAlgorithm: KeyAlgorithm;
  /**
   * Account-wide limits are split evenly over the shards of the fleet (device i is on shard i mod shards), so each
   * shard's devices meet their share in their own deterministic order.
   */
  shards: number;
  /** Device id -> index in the fleet, to find a device's shard. */
  deviceIndex: Record<string, number>;
  audits: AuditSettings;
  /** Injected faults (scenario `faults`), and each device's (and client id's) cohort for those scoped to cohorts. */
  faults: { planned: PlannedFault[]; cohortOf: Record<string, number> };
  /**
   * Record every decision as an event, not only the failures a run counts: admitted connects, TLS handshakes that
   * failed before MQTT, each delivery and its acknowledgement. On for `certfleet broker`'s decision log; off for
   * `certfleet run`, whose events.ndjson keeps to what its summary is built from.
   */
  recordDecisions: boolean;
  /**
   * Whether the broker believes the true time a client claims (the CONNECT user name `certfleet-t=...`, a request's
   * `t`) inside the current epoch: 'accept' for `certfleet run`, whose devices act at their own scheduled times in an
   * epoch; 'ignore' for `certfleet broker`, where every client is judged at the broker's clock, as a real broker does.
   */
  timeClaims: TimeClaims;
}

/** See BrokerConfig.timeClaims. */
export type TimeClaims = 'accept' | 'ignore';

export function brokerConfigFrom(
  scenario: Scenario,
  pki: ScenarioPki,
  seed: number,
  fleet: {
    shards: number;
    deviceIndex: Record<string, number>;
    backendRotations?: Map<string, BackendRotation>;
    faults?: { planned: PlannedFault[]; cohortOf: Record<string, number> };
    timeClaims?: TimeClaims;
  } = { shards: 1, deviceIndex: {} },
): BrokerConfig {
  const devicePki = scenario.pki.deviceCertificates;
  return {
    seed,
    pki,
    serverChains: Object.fromEntries(scenario.pki.serverCertificates.map((s) => [s.name, s.chain])),
    initialServerCertificate: scenario.broker.serverCertificate,
    endpoints: Object.fromEntries(scenario.broker.endpoints.map((e) => [e.host.toLowerCase(), e.serverCertificate])),
    deviceAuthorities: scenario.broker.deviceAuthorities,
    deviceIssuance: {
      issuer: devicePki.issuer,
      chain: devicePki.chain,
      lifetimeMs: devicePki.lifetime,
      backdateMs: devicePki.backdate,
    },
    clock: {
      model: { offsetMs: scenario.broker.clock.offset, driftPpm: scenario.broker.clock.driftPpm, jumps: [] },
      start: scenario.timeline.start,
    },
    timeline: { start: scenario.timeline.start, end: scenario.timeline.end },
    serverName: scenario.broker.host,
    listen: { host: '127.0.0.1', port: 0 },
    limits: scenario.broker.limits ?? {},
    connections: {
      handshakeTimeoutMs: scenario.broker.connections.handshakeTimeout,
      connectTimeoutMs: scenario.broker.connections.connectTimeout,
      maxPacketBeforeConnect: scenario.broker.connections.maxPacketBeforeConnect,
      maxPacketAfterConnect: scenario.broker.connections.maxPacketAfterConnect,
      connectionsPerSource: scenario.broker.connections.perSource,
    },
    bootstrapAuthorities: scenario.broker.bootstrapAuthorities,
    renewAfterExpiryMs: scenario.broker.renewAfterExpiry,
    ownershipTokenLifetimeMs: scenario.broker.ownershipTokenLifetime,
    clientIdMustMatchCertificate: scenario.broker.clientIdMustMatchCertificate,
    backendRotations: fleet.backendRotations ?? new Map(),
    keyAlgorithm: devicePki.key,
    audits: { ...scenario.audits, lookbackDays: 31 },
    shards: fleet.shards,
    deviceIndex: fleet.deviceIndex,
    faults: fleet.faults ?? { planned: planFaults(scenario), cohortOf: {} },
    recordDecisions: false,
    timeClaims: fleet.timeClaims ?? 'accept',
  };
}
