import type { Client } from 'aedes';
import type { FleetEvent } from '../sim/events/fleet-event.js';
import type { BrokerEvent, SessionsDropped } from '../sim/plan/fleet-plan.js';
import { pkiCertificateLookup } from '../sim/scenario-pki/pki-certificate.js';
import { emptyBrokerStats, type BrokerStats } from '../sim/stats/broker-stats.js';
import { DeviceClock } from '../sim/time/device-clock.js';
import type { CertificatePool } from '../sim/verify/certificate-pool.js';
import type { ParsedCertificate } from '../sim/verify/types.js';
import { AdmissionLedger } from './admission-ledger.js';
import { applyBrokerEventToRegisters, cutEnds, droppedBy, type BrokerEventRegisters } from './broker-event-effect.js';
import { startAedesServer } from './aedes-server.js';
import type { BrokerConfig } from './broker-config.js';
import { deviceAdmission, type AdmissionDecision, type SessionRole } from './device-admission.js';
import type { DeviceRegistry } from './device-registry.js';
import { EpochWindow } from './epoch-window.js';
import type { CapacityGate } from './limits/capacity-gate.js';
import type { RevocationRegistry } from './revocation-registry.js';

/** What the broker shares with the backend it serves (broker/backend/backend.ts, BackendRegisters). */
export interface BrokerRegisters {
  pool: CertificatePool;
  registry: DeviceRegistry;
  revocations: RevocationRegistry;
  capacity: CapacityGate;
  /** The backend's client id and certificate fingerprint: the one session admitted with the backend's role. */
  backend: { clientId: string; fingerprint: string };
}

/** Aedes as a broker and nothing else: TLS, admission at its clock, the topic policy, sessions. */
export interface AedesBroker {
  readonly host: string;
  readonly port: number;
  /** Applies a scenario event; says whose sessions it dropped (never the backend's). */
  applyEvent(event: BrokerEvent): SessionsDropped;
  /** The epoch [from, to): the true times a CONNECT may claim; one that claims none is judged at `from`. */
  setEpoch(from: number, to: number): void;
  /** The device authorities accepted now. */
  deviceAuthorities(): readonly ParsedCertificate[];
  /** The role of the live session of a client id, as admission judged it. */
  sessionRoleOf(clientId: string): SessionRole | undefined;
  /** Certificates and client ids seen in two live sessions at once. */
  readonly concurrentUse: { sharedCertificates: ReadonlySet<string>; conflictingClientIds: ReadonlySet<string> };
  /** The broker's counts (admission, topic policy, connection cuts, sessions); the backend's fields stay zero. */
  stats(): BrokerStats;
  close(): Promise<void>;
}

/**
 * Aedes behind a TLS server that requests client certificates (aedes-server.ts), admitting at the broker's simulated
 * clock with the registers it shares with the backend.
 */
export async function startAedesBroker(config: BrokerConfig, registers: BrokerRegisters, onEvent: (event: FleetEvent) => void): Promise<AedesBroker> {
  const { pool, registry, revocations, capacity } = registers;
  const clock = new DeviceClock(config.clock.model, config.clock.start);
  const certificate = pkiCertificateLookup(config.pki, pool);
  let deviceAnchors = config.deviceAuthorities.map(certificate);
  const epoch = new EpochWindow(config.clock.start);
  const stats = emptyBrokerStats();
  const ledger = new AdmissionLedger(registry, stats, config.recordDecisions, onEvent);

  const onAdmission = (decision: AdmissionDecision) => {
    ledger.record(decision);
    if (decision.cause === 'ok' && decision.role !== 'backend' && decision.leaf) {
      // Live until its socket closes: aedes reports the disconnect only after its own clean-up, which a device
      // reconnecting at once may overtake under load, and the new CONNECT must not find its old session live.
      const connection = decision.connection as Client;
      connection.conn.once('close', () => ledger.socketClosed(connection));
    }
  };
  const server = await startAedesServer(config, {
    authenticate: deviceAdmission({
      pool,
      clock,
      anchors: () => deviceAnchors,
      bootstrapAnchors: config.bootstrapAuthorities.map(certificate),
      renewAfterExpiryMs: config.renewAfterExpiryMs,
      clientIdMustMatchCertificate: config.clientIdMustMatchCertificate,
      isRevoked: revocations.isRevoked,
      epoch,
      timeClaims: config.timeClaims,
      capacity: (clientId, t) => capacity.admit(clientId, t),
      certificateStatus: (leaf) => registry.statusOf(leaf),
      onAdmission,
      backend: registers.backend,
    }),
    roleOf: (client) => ledger.roleOf(client),
    stats,
    epoch,
    onEvent,
    onClientDisconnect: (client) => ledger.sessionEnded(client, client.id),
  });
  const eventRegisters: BrokerEventRegisters = {
    config,
    clock,
    registry,
    revocations,
    capacity,
    certificate,
    deviceAnchors: { get: () => deviceAnchors, set: (anchors) => (deviceAnchors = [...anchors]) },
    useServerCertificate: (name) => server.useServerCertificate(name),
    onEvent,
  };

  return {
    host: server.host,
    port: server.port,
    applyEvent(event) {
      const cut = applyBrokerEventToRegisters(event, eventRegisters);
      const closed: string[] = [];
      if (cut.kind !== 'none') {
        for (const client of server.deviceSessions()) {
          if (!cutEnds(cut, client.id, registry.sessionCertificate(client))) continue;
          closed.push(client.id);
          client.close();
        }
      }
      return droppedBy(cut, closed, onEvent);
    },
    setEpoch(from, to) {
      epoch.open(from, to);
    },
    deviceAuthorities: () => deviceAnchors,
    sessionRoleOf: (clientId) => ledger.sessionRoleOf(clientId),
    concurrentUse: ledger.concurrentUse,
    stats: () => ({
      ...stats,
      refused: { ...stats.refused },
      connectionsCut: { ...stats.connectionsCut },
      connected: server.deviceSessions().length,
    }),
    close: () => server.close(),
  };
}
