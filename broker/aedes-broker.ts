import { constants as cryptoConstants } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { Aedes, type Client } from 'aedes';
import type { FleetEvent } from '../sim/events/fleet-event.js';
import type { BrokerEvent, SessionsDropped } from '../sim/plan/fleet-plan.js';
import { pkiCertificateLookup } from '../sim/scenario-pki/pki-certificate.js';
import { emptyBrokerStats, type BrokerStats } from '../sim/stats/broker-stats.js';
import { DeviceClock } from '../sim/time/device-clock.js';
import type { CertificatePool } from '../sim/verify/certificate-pool.js';
import type { ParsedCertificate } from '../sim/verify/types.js';
import type { BrokerConfig } from './broker-config.js';
import { deviceAdmission, type AdmissionDecision, type SessionRole } from './device-admission.js';
import { certificateKey, type DeviceRegistry, type RegisteredCertificate } from './device-registry.js';
import { EpochWindow } from './epoch-window.js';
import type { CapacityGate } from './limits/capacity-gate.js';
import { CONNECTION_CUT_DETAIL } from './listener/connection-cut-detail.js';
import { startTlsListener } from './listener/tls-listener.js';
import type { RevocationRegistry } from './revocation-registry.js';
import { authorizePublish, authorizeSubscribe } from './topic-policy.js';
import { AwsTopicMount } from './aws-topic-mount.js';
import { dialAddress } from './listen-address.js';
import { tlsFailureEvent } from './listener/tls-failure-event.js';

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
 * Aedes behind a TLS server that requests client certificates. Node's TLS checks certificates only against the host
 * clock, so the server accepts any certificate in the handshake (which still proves key possession) and the
 * admission hook judges the chain at the broker's simulated clock before CONNACK.
 */
export async function startAedesBroker(config: BrokerConfig, registers: BrokerRegisters, onEvent: (event: FleetEvent) => void): Promise<AedesBroker> {
  const { pool, registry, revocations, capacity } = registers;
  const clock = new DeviceClock(config.clock.model, config.clock.start);
  const certificate = pkiCertificateLookup(config.pki, pool);
  let deviceAnchors = config.deviceAuthorities.map(certificate);
  const epoch = new EpochWindow(config.clock.start);
  const concurrentUse = { sharedCertificates: new Set<string>(), conflictingClientIds: new Set<string>() };
  const stats = emptyBrokerStats();
  const roles = new WeakMap<object, SessionRole>();
  /** The role of each client id's live session (the CA serves a bootstrap session of a revoked device). */
  const liveRoles = new Map<string, SessionRole>();

  const onAdmission = (decision: AdmissionDecision) => {
    if (decision.cause === 'ok' && decision.role === 'backend') {
      // The backend is no device: it is not counted, registered or audited.
      roles.set(decision.connection, 'backend');
      return;
    }
    if (decision.cause === 'ok') {
      stats.admitted += 1;
      if (decision.leaf) {
        // A second live session on the same certificate or client id: the Device Defender findings of cloned
        // identities (the session takeover itself is aedes's, MQTT 3.1.1 3.1.4-2).
        const key = certificateKey(decision.leaf);
        const inUse = registry.inUse(key, decision.clientId);
        if (inUse.certificate) concurrentUse.sharedCertificates.add(key);
        if (inUse.clientId) concurrentUse.conflictingClientIds.add(decision.clientId);
        const role = decision.role ?? 'operational';
        roles.set(decision.connection, role);
        liveRoles.set(decision.clientId, role);
        registry.admitted(decision.connection, decision.clientId, decision.leaf, decision.t, role === 'operational');
        // Live until its socket closes: aedes reports the disconnect only after its own clean-up, which a device
        // reconnecting at once may overtake under load, and the new CONNECT must not find its old session live.
        const connection = decision.connection as Client;
        connection.conn.once('close', () => registry.disconnected(connection));
      }
      if (config.recordDecisions) {
        const role = decision.role === 'backend' ? undefined : (decision.role ?? 'operational');
        const ignored = decision.claimIgnored === undefined ? {} : { claimIgnored: decision.claimIgnored };
        onEvent({ type: 'broker.admission', t: decision.t, device: decision.clientId, cause: 'ok', role, ...presented(decision), ...ignored });
      }
      return;
    }
    stats.refused[decision.cause] = (stats.refused[decision.cause] ?? 0) + 1;
    onEvent({
      type: 'broker.admission',
      t: decision.t,
      device: decision.clientId,
      cause: decision.cause,
      certificateCause: decision.verdict?.certificateCause,
      failed: decision.verdict?.failed?.certificate.label,
      claimed: decision.claimed,
      claimIgnored: decision.claimIgnored,
      // The certificate a refused client presented, for the decision log only (a run's events keep their shape).
      ...(config.recordDecisions ? presented(decision) : {}),
    });
  };
  const onDenied = () => {
    stats.topicDenied += 1;
  };
  const roleOf = (client: Client) => roles.get(client);
  const awsMount = new AwsTopicMount();

  const broker = await Aedes.createBroker({
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
    authorizePublish: authorizePublish(onDenied, roleOf),
    authorizeSubscribe: authorizeSubscribe(onDenied, roleOf, awsMount),
    authorizeForward: awsMount.forward,
    // A TLS connection that sends no CONNECT is closed after this long (counted by the listener as connect_timeout).
    connectTimeout: config.connections.connectTimeoutMs,
  });
  broker.on('clientDisconnect', (client) => {
    registry.disconnected(client);
    if (roles.get(client) === liveRoles.get(client.id)) liveRoles.delete(client.id);
  });
  /** The live device sessions (never the backend's): aedes keeps its clients in `clients`, not in its typings. */
  const deviceSessions = () =>
    Object.values((broker as unknown as { clients: Record<string, Client> }).clients).filter((client) => roles.get(client) !== 'backend');
  /** Closes the live sessions whose certificate matches (every device session: 'all'); returns their client ids. */
  const closeSessions = (matches: ((certificate: RegisteredCertificate) => boolean) | 'all'): string[] => {
    const closed: string[] = [];
    for (const client of deviceSessions()) {
      const used = registry.sessionCertificate(client);
      if (matches !== 'all' && !(used && matches(used))) continue;
      closed.push(client.id);
      client.close();
    }
    return closed;
  };

  const serverOptions = (name: string) => {
    const key = config.pki.serverKeys[name];
    const chain = config.serverChains[name];
    const leaf = config.pki.certificates[name];
    if (key === undefined || chain === undefined || leaf === undefined) {
      throw new RangeError(`no server certificate named "${name}"`);
    }
    return { key, cert: [leaf, ...chain.map((c) => config.pki.certificates[c] ?? '')].join('') };
  };
  // One context per extra endpoint, chosen by the host name the client sends in SNI (RFC 6066 3). Other names, and
  // clients that send none, get the default context: the initial certificate or the last `server-certificate` switch.
  const endpointContexts = new Map<string, SecureContext>(
    Object.entries(config.endpoints).map(([host, name]) => [host, createSecureContext({ ...serverOptions(name), secureOptions: cryptoConstants.SSL_OP_NO_TICKET })]),
  );
  const sniCallback = (servername: string, done: (error: Error | null, context?: SecureContext) => void) =>
    done(null, endpointContexts.get(servername.toLowerCase()));
  // A port that cannot be bound (in use, not allowed): Aedes's own timers must not keep the process alive.
  const listener = await startTlsListener({
    host: config.listen.host,
    port: config.listen.port,
    tls: {
      ...serverOptions(config.initialServerCertificate),
      ...(endpointContexts.size > 0 ? { SNICallback: sniCallback } : {}),
      requestCert: true,
      rejectUnauthorized: false,
      // Devices make full handshakes; session tickets would only cost the server (limits.md: up to 15% of its CPU).
      secureOptions: cryptoConstants.SSL_OP_NO_TICKET,
    },
    limits: config.connections,
    broker,
    onCut: (reason, source) => {
      stats.connectionsCut[reason] += 1;
      onEvent({ type: 'broker.connection-cut', t: epoch.now, reason, source, detail: CONNECTION_CUT_DETAIL[reason] });
    },
    onTlsError: (error, source) => {
      stats.tlsErrors += 1;
      if (config.recordDecisions) onEvent(tlsFailureEvent(epoch.now, error, source));
    },
  }).catch(async (error: unknown) => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw error;
  });
  const server = listener.server;

  return {
    host: dialAddress(config.listen.host),
    port: listener.port,
    applyEvent(event) {
      switch (event.kind) {
        case 'server-certificate':
          // New handshakes get the new chain; sessions already open keep theirs, as a real broker swap does.
          server.setSecureContext({ ...serverOptions(event.use), secureOptions: cryptoConstants.SSL_OP_NO_TICKET });
          onEvent({ type: 'broker.server-certificate', t: event.at, name: event.use });
          break;
        case 'revoke-authority': {
          const revoked = certificate(event.authority);
          revocations.revoke(revoked.issuer, revoked.serialHex, clock.read(event.at));
          onEvent({ type: 'broker.revocation', t: event.at, target: event.authority, certificates: 1 });
          // AWS IoT disconnects the sessions of a revoked (deactivated) certificate within minutes; here at once.
          return { clientIds: closeSessions((c) => c.issuer === revoked.subject) };
        }
        case 'revoke-devices': {
          const keys = new Set<string>();
          for (const id of event.deviceIds) {
            const current = registry.currentOf(id);
            if (!current) continue;
            revocations.revoke(current.issuer, current.serialHex, clock.read(event.at));
            keys.add(current.key);
          }
          onEvent({ type: 'broker.revocation', t: event.at, target: `${event.deviceIds.length} devices`, certificates: keys.size });
          return { clientIds: closeSessions((c) => keys.has(c.key)) };
        }
        case 'restart': {
          // Every device session drops; until the broker is back, CONNECTs are refused (CONNACK 3). The backend's
          // session is kept: this restart is simulated, and the backend is the harness's, not the scenario's.
          capacity.downUntil(event.at + event.downFor);
          closeSessions('all');
          onEvent({ type: 'broker.restart', t: event.at, downFor: event.downFor });
          return { all: true };
        }
        case 'fault-start': {
          const fault = config.faults.planned[event.fault];
          if (fault) onEvent({ type: 'fault.start', t: event.at, fault: fault.index, kind: fault.kind, label: fault.label });
          if (!event.clientIds) break;
          // A partition: the cohort's sessions drop at once, as their TCP connections die (the devices then fail to
          // reconnect until it ends, on their side: workers/device/fault-windows.ts).
          const cut = new Set(event.clientIds);
          const dropped = deviceSessions().filter((client) => cut.has(client.id));
          for (const client of dropped) {
            onEvent({ type: 'fault.effect', t: event.at, fault: event.fault, device: client.id, effect: 'session-dropped' });
            client.close();
          }
          return { clientIds: dropped.map((c) => c.id) };
        }
        case 'fault-end': {
          const fault = config.faults.planned[event.fault];
          if (fault) onEvent({ type: 'fault.end', t: event.at, fault: fault.index, kind: fault.kind });
          break;
        }
        case 'device-authorities': {
          const removed = new Set(event.remove.map((name) => certificate(name).fingerprint));
          deviceAnchors = [...deviceAnchors.filter((a) => !removed.has(a.fingerprint)), ...event.add.map(certificate)];
          onEvent({ type: 'broker.device-authorities', t: event.at, authorities: deviceAnchors.map((a) => a.label) });
          break;
        }
      }
      return {};
    },
    setEpoch(from, to) {
      epoch.open(from, to);
    },
    deviceAuthorities: () => deviceAnchors,
    sessionRoleOf: (clientId) => liveRoles.get(clientId),
    concurrentUse,
    stats: () => ({
      ...stats,
      refused: { ...stats.refused },
      connectionsCut: { ...stats.connectionsCut },
      connected: deviceSessions().length,
    }),
    async close() {
      listener.close();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}

/** The serial number and notAfter of the certificate a client presented, when it presented one. */
function presented(decision: AdmissionDecision): { serial?: string; notAfter?: number } {
  return decision.leaf ? { serial: decision.leaf.serialHex, notAfter: decision.leaf.notAfter } : {};
}
