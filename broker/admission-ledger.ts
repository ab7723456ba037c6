import type { FleetEvent } from '../sim/events/fleet-event.js';
import type { BrokerStats } from '../sim/stats/broker-stats.js';
import type { AdmissionDecision, SessionRole } from './device-admission.js';
import { certificateKey, type DeviceRegistry } from './device-registry.js';

/**
 * What the broker keeps of its admission decisions, wherever the connections live (this process, or broker
 * instances): the counts, the registry's live sessions, each session's role, the Device Defender findings of
 * identities used twice at once, and the decision events.
 */
export class AdmissionLedger {
  /** Certificates and client ids seen in two live sessions at once. */
  readonly concurrentUse = { sharedCertificates: new Set<string>(), conflictingClientIds: new Set<string>() };
  readonly #registry: DeviceRegistry;
  readonly #stats: BrokerStats;
  readonly #recordDecisions: boolean;
  readonly #onEvent: (event: FleetEvent) => void;
  readonly #roles = new WeakMap<object, SessionRole>();
  /** The role of each client id's live session (the CA serves a bootstrap session of a revoked device). */
  readonly #liveRoles = new Map<string, SessionRole>();

  constructor(registry: DeviceRegistry, stats: BrokerStats, recordDecisions: boolean, onEvent: (event: FleetEvent) => void) {
    this.#registry = registry;
    this.#stats = stats;
    this.#recordDecisions = recordDecisions;
    this.#onEvent = onEvent;
  }

  /** One admission decision: counted, registered when admitted, recorded as an event when refused (or asked to). */
  record(decision: AdmissionDecision): void {
    if (decision.cause === 'ok' && decision.role === 'backend') {
      // The backend is no device: it is not counted, registered or audited.
      this.#roles.set(decision.connection, 'backend');
      return;
    }
    if (decision.cause === 'ok') {
      this.#stats.admitted += 1;
      if (decision.leaf) {
        // A second live session on the same certificate or client id: the Device Defender findings of cloned
        // identities (the session takeover itself is aedes's, MQTT 3.1.1 3.1.4-2).
        const key = certificateKey(decision.leaf);
        const inUse = this.#registry.inUse(key, decision.clientId);
        if (inUse.certificate) this.concurrentUse.sharedCertificates.add(key);
        if (inUse.clientId) this.concurrentUse.conflictingClientIds.add(decision.clientId);
        const role = decision.role ?? 'operational';
        this.#roles.set(decision.connection, role);
        this.#liveRoles.set(decision.clientId, role);
        this.#registry.admitted(decision.connection, decision.clientId, decision.leaf, decision.t, role === 'operational');
      }
      if (this.#recordDecisions) {
        const role = decision.role === 'backend' ? undefined : (decision.role ?? 'operational');
        const ignored = decision.claimIgnored === undefined ? {} : { claimIgnored: decision.claimIgnored };
        this.#onEvent({ type: 'broker.admission', t: decision.t, device: decision.clientId, cause: 'ok', role, ...presented(decision), ...ignored });
      }
      return;
    }
    this.#stats.refused[decision.cause] = (this.#stats.refused[decision.cause] ?? 0) + 1;
    this.#onEvent({
      type: 'broker.admission',
      t: decision.t,
      device: decision.clientId,
      cause: decision.cause,
      certificateCause: decision.verdict?.certificateCause,
      failed: decision.verdict?.failed?.certificate.label,
      claimed: decision.claimed,
      claimIgnored: decision.claimIgnored,
      // The certificate a refused client presented, for the decision log only (a run's events keep their shape).
      ...(this.#recordDecisions ? presented(decision) : {}),
    });
  }

  /** The connection's socket closed: its session is no longer live in the registry. */
  socketClosed(connection: object): void {
    this.#registry.disconnected(connection);
  }

  /** The broker let the connection go (aedes's clientDisconnect, after its clean-up). */
  sessionEnded(connection: object, clientId: string): void {
    this.#registry.disconnected(connection);
    if (this.#roles.get(connection) === this.#liveRoles.get(clientId)) this.#liveRoles.delete(clientId);
  }

  /** The role admission gave a connection (the topic policy's question). */
  roleOf(connection: object): SessionRole | undefined {
    return this.#roles.get(connection);
  }

  /** The role of the live session of a client id, as admission judged it. */
  sessionRoleOf(clientId: string): SessionRole | undefined {
    return this.#liveRoles.get(clientId);
  }
}

/** The serial number and notAfter of the certificate a client presented, when it presented one. */
function presented(decision: AdmissionDecision): { serial?: string; notAfter?: number } {
  return decision.leaf ? { serial: decision.leaf.serialHex, notAfter: decision.leaf.notAfter } : {};
}
