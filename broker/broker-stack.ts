import type { AuditFinding } from '../sim/audit/audit-checks.js';
import type { FactoryCredentials } from '../sim/scenario-pki/device-factory.js';
import type { FleetEvent } from '../sim/events/fleet-event.js';
import type { BrokerEvent, Delivery, SessionsDropped } from '../sim/plan/fleet-plan.js';
import type { BrokerDescription } from '../sim/results/broker-description.js';
import { emptyBrokerStats, type BrokerStats } from '../sim/stats/broker-stats.js';
import { DeviceClock } from '../sim/time/device-clock.js';
import { CertificatePool } from '../sim/verify/certificate-pool.js';
import type { ParsedCertificate } from '../sim/verify/types.js';
import type { Backend } from './backend/backend.js';
import type { ReconnectableBrokerLink } from './backend/broker-link.js';
import { backendIdentityFor, BACKEND_CLIENT_ID } from './backend/backend-identity.js';
import { externalBrokerCheck, scenarioBackendConnection } from './backend/broker-chain-check.js';
import { connectBackend, type BackendConnection } from './backend/connect-backend.js';
import type { BrokerConfig } from './broker-config.js';
import type { BrokerTarget } from './broker-target.js';
import type { DeliveryOutcome } from './delivery-service.js';
import { DeviceRegistry } from './device-registry.js';
import { startEmbeddedBroker } from './embedded-broker.js';
import { describeEmbeddedBroker } from './embedded-broker-description.js';
import { externalBrokerTarget } from './external-broker-target.js';
import { startBrokerInstances, type BrokerInstancesOptions } from './instances/broker-instances.js';
import type { InstanceReport } from './instances/instance-report.js';
import { CapacityGate } from './limits/capacity-gate.js';
import { startMosquittoBroker } from './mosquitto/mosquitto-broker.js';
import { RevocationRegistry } from './revocation-registry.js';

/** Which broker a run puts in the loop (scenario broker.target, --broker), with what that broker needs. */
export type BrokerChoice =
  | {
      target: 'embedded';
      /** Registered before anyone connects (certfleet broker); a run's devices register theirs by connecting. */
      factory?: Readonly<Record<string, FactoryCredentials>> | undefined;
      /** More than one: the broker as that many processes joined through Redis (broker/instances/). */
      instances?: BrokerInstancesOptions | undefined;
    }
  | {
      target: 'mosquitto';
      /** What the devices were manufactured with: their certificates' validity bounds end epochs. */
      factory: Readonly<Record<string, FactoryCredentials>>;
    }
  | {
      target: 'external';
      host: string;
      port: number;
      /** The authorities that signed the broker's server certificate. */
      caPem: string;
      /** The identity the team's broker accepts for certfleet's backend. */
      backend: { certificatePem: string; keyPem: string };
    };

/** The broker and the backend, as the coordinator drives them, whichever broker it is. */
export interface BrokerStack {
  readonly host: string;
  readonly port: number;
  describe(): BrokerDescription;
  applyEvent(event: BrokerEvent): Promise<SessionsDropped>;
  setEpoch(from: number, to: number): Promise<void>;
  /** Where the broker's verdict on a certificate it judges can change: an epoch ends there (BrokerTarget). */
  nextVerdictChangeAfter(after: number): number;
  startEpoch(t: number): Promise<DeliveryOutcome>;
  nextBackendActionAt(after: number): number;
  deliver(deliveries: readonly Delivery[]): Promise<DeliveryOutcome>;
  offlineNoticesSent(total: number): void;
  audit(t: number): AuditFinding[];
  stats(): BrokerStats;
  close(): Promise<void>;
  /** Broker instances: where each listens (device i dials instance i mod B), and what each did. */
  instances?: { addresses: readonly { host: string; port: number }[]; report(): InstanceReport[] } | undefined;
  /** Sessions lost outside the plan (a broker instance died) since the last epoch: their devices learn it now. */
  unplannedSessionsDropped?(): SessionsDropped;
}

/** Starts the chosen broker and connects the backend to it as an MQTT client. */
export async function startBrokerStack(config: BrokerConfig, choice: BrokerChoice, onEvent: (event: FleetEvent) => void): Promise<BrokerStack> {
  if (choice.target === 'embedded' && choice.instances && choice.instances.instances > 1) {
    const instances = await startBrokerInstances(config, choice.instances, onEvent);
    return {
      ...instances,
      host: instances.addresses[0]?.host ?? '',
      port: instances.addresses[0]?.port ?? 0,
      describe: describeEmbeddedBroker,
      nextVerdictChangeAfter: () => Infinity,
      instances: { addresses: instances.addresses, report: () => instances.report() },
    };
  }
  if (choice.target === 'embedded') {
    const embedded = await startEmbeddedBroker(config, onEvent, choice.factory);
    return {
      ...embedded,
      host: embedded.host,
      port: embedded.port,
      describe: describeEmbeddedBroker,
      applyEvent: async (event) => embedded.applyEvent(event),
      setEpoch: async (from, to) => embedded.setEpoch(from, to),
      // Aedes judges each connect at the time the device claims: no reading to keep on one side of a bound.
      nextVerdictChangeAfter: () => Infinity,
    };
  }
  return startRealBrokerStack(config, choice, onEvent);
}

/**
 * A broker that is not certfleet's (Mosquitto, a team's): the backend keeps its own registers (registry, revocations,
 * issuance queues) and learns nothing from the broker but what an MQTT client sees.
 */
async function startRealBrokerStack(
  config: BrokerConfig,
  choice: Exclude<BrokerChoice, { target: 'embedded' }>,
  onEvent: (event: FleetEvent) => void,
): Promise<BrokerStack> {
  const pool = new CertificatePool();
  const clock = new DeviceClock(config.clock.model, config.clock.start);
  const registry = new DeviceRegistry();
  const revocations = new RevocationRegistry();
  const capacity = new CapacityGate(config.limits, config.shards, config.deviceIndex);
  const parse = (pem: string): ParsedCertificate | undefined => pool.parsePem(pem)[0];
  const named = (name: string) => parse(config.pki.certificates[name] ?? '');
  let deviceAuthorities = config.deviceAuthorities.flatMap((name) => named(name) ?? []);
  /** Each device's latest certificate (PEM), from the factory and then from the CA: what a revocation lists. */
  const latestPem = new Map<string, string>();
  const issued = (pem: string) => {
    const certificate = parse(pem);
    // The CA names the device in the CN (DeviceCa builds the subject itself).
    if (certificate?.identity.kind === 'one') latestPem.set(certificate.identity.commonName, pem);
    target.certificateIssued(pem);
  };

  let target: BrokerTarget;
  let connection: BackendConnection;
  if (choice.target === 'mosquitto') {
    // The backend registered what the factory made: a revocation names a device's certificate before it ever rotated.
    for (const [deviceId, { certificatePem: pem }] of Object.entries(choice.factory)) {
      const certificate = parse(pem);
      if (certificate) registry.issued(deviceId, certificate);
      latestPem.set(deviceId, pem);
    }
    const identity = backendIdentityFor(config, pool);
    target = await startMosquittoBroker(
      config,
      {
        backendUser: identity.clientId,
        currentCertificateOf: (deviceId) => latestPem.get(deviceId),
        deviceCertificates: Object.values(choice.factory).flatMap((c) => [c.certificatePem, ...(c.bootstrap ? [c.bootstrap.certificatePem] : [])]),
      },
      onEvent,
    );
    connection = scenarioBackendConnection(config, identity, target, pool, () => clock.read(config.clock.start));
  } else {
    target = externalBrokerTarget(config, choice, onEvent);
    const leaf = parse(choice.backend.certificatePem);
    connection = {
      host: choice.host,
      port: choice.port,
      // A team's broker may tie client ids to certificates, as AWS IoT policies do: the backend's is its CN.
      clientId: leaf?.identity.kind === 'one' ? leaf.identity.commonName : BACKEND_CLIENT_ID,
      keyPem: choice.backend.keyPem,
      certificateChainPem: choice.backend.certificatePem,
      checkServer: externalBrokerCheck({ caPem: choice.caPem, serverName: config.serverName, pool, clockReading: () => clock.read(config.clock.start) }),
    };
  }

  let backend: Backend;
  let link: ReconnectableBrokerLink;
  try {
    ({ backend, link } = await connectBackend(
      config,
      connection,
      {
        pool,
        registry,
        revocations,
        issuanceSlot: (deviceId, t) => capacity.issuanceSlot(deviceId, t),
        registrationSlot: (deviceId, t) => capacity.registrationSlot(deviceId, t),
        deviceAuthorities: () => deviceAuthorities,
        // A real broker tells its clients nothing of the sessions of others.
        sessionRoleOf: () => undefined,
        concurrentUse: { sharedCertificates: new Set(), conflictingClientIds: new Set() },
        certificateIssued: issued,
      },
      onEvent,
    ));
  } catch (error) {
    await target.close().catch(() => undefined);
    throw error;
  }

  /** The backend's own record of a revocation, as the embedded broker keeps it: the CA refuses to renew over one. */
  const recordRevocation = (event: BrokerEvent) => {
    if (event.kind === 'revoke-authority') {
      const revoked = named(event.authority);
      if (revoked) revocations.revoke(revoked.issuer, revoked.serialHex, clock.read(event.at));
    } else if (event.kind === 'revoke-devices') {
      for (const id of event.deviceIds) {
        const current = registry.currentOf(id);
        if (current) revocations.revoke(current.issuer, current.serialHex, clock.read(event.at));
      }
    } else if (event.kind === 'device-authorities') {
      const removed = new Set(event.remove.flatMap((name) => named(name)?.fingerprint ?? []));
      deviceAuthorities = [...deviceAuthorities.filter((a) => !removed.has(a.fingerprint)), ...event.add.flatMap((name) => named(name) ?? [])];
    }
  };

  /** While a restart keeps the broker down: when it is back, and the backend (dropped with everyone) dials again. */
  let backendBackAt: number | undefined;

  return {
    host: target.host,
    port: target.port,
    describe: () => target.describe(),
    async applyEvent(event) {
      recordRevocation(event);
      const dropped = await target.applyEvent(event);
      if (event.kind === 'restart') backendBackAt = event.at + event.downFor;
      backend.sessionsDropped(dropped);
      return dropped;
    },
    async setEpoch(from, to) {
      await target.setEpoch(from, to);
      if (backendBackAt !== undefined && from >= backendBackAt) {
        backendBackAt = undefined;
        await link.reconnect();
      }
      backend.setEpoch(from, to);
    },
    nextVerdictChangeAfter: (after) => target.nextVerdictChangeAfter(after),
    startEpoch: (t) => backend.startEpoch(t),
    nextBackendActionAt: (after) => backend.nextBackendActionAt(after),
    deliver: (deliveries) => backend.deliver(deliveries),
    offlineNoticesSent: (total) => backend.offlineNoticesSent(total),
    audit: (t) => backend.audit(t),
    // What the broker decided is its own to count; certfleet's devices count what they saw of it (inferredFrom).
    stats: () => ({ ...emptyBrokerStats(), ...backendFields(backend.stats()) }),
    async close() {
      await backend.close().catch(() => undefined);
      await target.close();
    },
  };
}

function backendFields(stats: BrokerStats): Partial<BrokerStats> {
  const { issued, issuanceRejected, issuanceRejectedByReason, registrationsRejected, jobsCreated, jobsSucceeded, malformedRequests, timeClaimsRefused, requestFailures } = stats;
  return { issued, issuanceRejected, issuanceRejectedByReason, registrationsRejected, jobsCreated, jobsSucceeded, malformedRequests, timeClaimsRefused, requestFailures };
}
