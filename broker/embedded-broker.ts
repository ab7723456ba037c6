import type { FleetEvent } from '../sim/events/fleet-event.js';
import type { FactoryCredentials } from '../sim/scenario-pki/device-factory.js';
import type { BrokerEvent, Delivery, SessionsDropped } from '../sim/plan/fleet-plan.js';
import type { BrokerStats } from '../sim/stats/broker-stats.js';
import { DeviceClock } from '../sim/time/device-clock.js';
import { CertificatePool } from '../sim/verify/certificate-pool.js';
import type { AuditFinding } from '../sim/audit/audit-checks.js';
import { backendRegisters } from './broker-judge.js';
import { startAedesBroker } from './aedes-broker.js';
import { backendIdentityFor } from './backend/backend-identity.js';
import { connectBackend } from './backend/connect-backend.js';
import { scenarioBackendConnection } from './backend/broker-chain-check.js';
import type { BrokerConfig } from './broker-config.js';
import type { DeliveryOutcome } from './delivery-service.js';
import { DeviceRegistry } from './device-registry.js';
import { CapacityGate } from './limits/capacity-gate.js';
import { RevocationRegistry } from './revocation-registry.js';

export interface EmbeddedBroker {
  readonly host: string;
  readonly port: number;
  /**
   * Applies a scenario event (server chain switch, revocation, restart, accepted device authorities); says whose
   * sessions it dropped, so their devices learn it at the event's time.
   */
  applyEvent(event: BrokerEvent): SessionsDropped;
  /** Starts the rotations the backend drives (jobs, pushes) that are due at true time t. */
  startEpoch(t: number): Promise<DeliveryOutcome>;
  /** The earliest true time after `after` at which the backend will start a rotation. */
  nextBackendActionAt(after: number): number;
  /** Sends deliveries; resolves when online devices have acknowledged them. */
  deliver(deliveries: readonly Delivery[]): Promise<DeliveryOutcome>;
  /**
   * The epoch [from, to) the coordinator runs now: the true times clients may claim (CONNECT user name, a request's
   * `t`); those that claim none are judged at `from`.
   */
  setEpoch(from: number, to: number): void;
  /** The devices have published this many offline notices in all (docs/architecture.md, "Presence"). */
  offlineNoticesSent(total: number): void;
  /** The audit checks on the backend's registry at true time t. */
  audit(t: number): AuditFinding[];
  stats(): BrokerStats;
  close(): Promise<void>;
}

/**
 * The embedded broker (Aedes, broker/aedes-broker.ts) and the backend (broker/backend/backend.ts), which connects to
 * it as an MQTT client over mutual TLS with its own identity, as the coordinator drives them together. They share
 * only the registers a cloud IoT service shares between its broker and its services (registry, revocations,
 * capacity queues); everything the backend says to devices goes through the broker.
 */
export async function startEmbeddedBroker(
  config: BrokerConfig,
  onEvent: (event: FleetEvent) => void,
  factory?: Readonly<Record<string, FactoryCredentials>>,
): Promise<EmbeddedBroker> {
  const pool = new CertificatePool();
  const registry = new DeviceRegistry();
  // Registered as the factory made them (certfleet broker): a revocation names a device's certificate even before
  // the device first connects, as a cloud registry knows the certificates it was given.
  for (const [deviceId, { certificatePem }] of Object.entries(factory ?? {})) {
    const certificate = pool.parsePem(certificatePem)[0];
    if (certificate && registry.statusOf(certificate) === undefined) registry.issued(deviceId, certificate);
  }
  const revocations = new RevocationRegistry();
  const capacity = new CapacityGate(config.limits, config.shards, config.deviceIndex);
  const identity = backendIdentityFor(config, pool);
  const registers = { pool, registry, revocations, capacity, backend: { clientId: identity.clientId, fingerprint: identity.fingerprint } };
  const broker = await startAedesBroker(config, registers, onEvent);
  const clock = new DeviceClock(config.clock.model, config.clock.start);
  let backend;
  try {
    ({ backend } = await connectBackend(
      config,
      // The backend connects before the first epoch, at the broker's reading of the timeline's start.
      scenarioBackendConnection(config, identity, broker, pool, () => clock.read(config.clock.start)),
      backendRegisters(registers, broker),
      onEvent,
    ));
  } catch (error) {
    await broker.close();
    throw error;
  }

  return {
    host: broker.host,
    port: broker.port,
    applyEvent(event) {
      const dropped = broker.applyEvent(event);
      // The backend learns of the sessions the broker ended from the event, at its true time (a real broker's
      // backend is told by whoever restarted or revoked; the devices' Wills arrive whenever they do).
      backend.sessionsDropped(dropped);
      return dropped;
    },
    startEpoch: (t) => backend.startEpoch(t),
    nextBackendActionAt: (after) => backend.nextBackendActionAt(after),
    deliver: (deliveries) => backend.deliver(deliveries),
    offlineNoticesSent: (total) => backend.offlineNoticesSent(total),
    setEpoch(from, to) {
      broker.setEpoch(from, to);
      backend.setEpoch(from, to);
    },
    audit: (t) => backend.audit(t),
    stats: () => combinedStats(broker.stats(), backend.stats()),
    async close() {
      await backend.close().catch(() => undefined);
      await broker.close();
    },
  };
}

/** The broker's counts (admission, topics, connections) with the backend's (issuance, registrations, jobs, requests). */
export function combinedStats(broker: BrokerStats, backend: BrokerStats): BrokerStats {
  return {
    ...broker,
    issued: backend.issued,
    issuanceRejected: backend.issuanceRejected,
    issuanceRejectedByReason: backend.issuanceRejectedByReason,
    registrationsRejected: backend.registrationsRejected,
    jobsCreated: backend.jobsCreated,
    jobsSucceeded: backend.jobsSucceeded,
    malformedRequests: backend.malformedRequests,
    timeClaimsRefused: backend.timeClaimsRefused,
    requestFailures: backend.requestFailures,
  };
}
