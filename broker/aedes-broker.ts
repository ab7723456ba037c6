import type { Client } from 'aedes';
import type { FleetEvent } from '../sim/events/fleet-event.js';
import type { BrokerEvent, SessionsDropped } from '../sim/plan/fleet-plan.js';
import type { BrokerStats } from '../sim/stats/broker-stats.js';
import type { CertificatePool } from '../sim/verify/certificate-pool.js';
import type { ParsedCertificate } from '../sim/verify/types.js';
import { applyBrokerEventToRegisters, cutEnds, droppedBy } from './broker-event-effect.js';
import { BrokerJudge } from './broker-judge.js';
import { startAedesServer } from './aedes-server.js';
import type { BrokerConfig } from './broker-config.js';
import { deviceAdmission, type AdmissionDecision, type SessionRole } from './device-admission.js';
import type { DeviceRegistry } from './device-registry.js';
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
  const { registry } = registers;
  const judge = new BrokerJudge(config, registers, onEvent);
  const { epoch, stats, ledger } = judge;

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
    authenticate: deviceAdmission(judge.admissionContext(onAdmission)),
    roleOf: (client) => ledger.roleOf(client),
    stats,
    epoch,
    onEvent,
    onClientDisconnect: (client) => ledger.sessionEnded(client, client.id),
  });
  const eventRegisters = judge.eventRegisters((name) => server.useServerCertificate(name));

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
    deviceAuthorities: () => judge.deviceAuthorities(),
    sessionRoleOf: (clientId) => judge.sessionRoleOf(clientId),
    concurrentUse: judge.concurrentUse,
    stats: () => ({
      ...stats,
      refused: { ...stats.refused },
      connectionsCut: { ...stats.connectionsCut },
      connected: server.deviceSessions().length,
    }),
    close: () => server.close(),
  };
}
