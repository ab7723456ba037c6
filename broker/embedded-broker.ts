import { constants as cryptoConstants } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { Aedes, type Client } from 'aedes';
import type { FleetEvent } from '../sim/events/fleet-event.js';
import type { BrokerEvent, Delivery, SessionsDropped } from '../sim/plan/fleet-plan.js';
import { emptyBrokerStats, type BrokerStats } from '../sim/stats/broker-stats.js';
import { authorityFromPki } from '../sim/scenario-pki/build-scenario-pki.js';
import { DeviceClock } from '../sim/time/device-clock.js';
import { CertificatePool } from '../sim/verify/certificate-pool.js';
import type { ParsedCertificate } from '../sim/verify/types.js';
import type { AuditFinding } from '../sim/audit/audit-checks.js';
import { auditFleet } from './audit/fleet-audit.js';
import type { BrokerConfig } from './broker-config.js';
import { DeliveryService, type DeliveryOutcome } from './delivery-service.js';
import { deviceAdmission, type AdmissionDecision, type SessionRole } from './device-admission.js';
import { DeviceCa } from './device-ca.js';
import { CaAvailability } from './ca-availability.js';
import { deliveryLoss } from './delivery-loss.js';
import { EpochWindow } from './epoch-window.js';
import { startFleetProvisioningService } from './fleet-provisioning-service.js';
import { plannedDeliveryMessages } from './planned-deliveries.js';
import { RenewalOrchestrator } from './renewal-orchestrator.js';
import { certificateKey, DeviceRegistry, type RegisteredCertificate } from './device-registry.js';
import { CapacityGate } from './limits/capacity-gate.js';
import { CONNECTION_CUT_DETAIL } from './listener/connection-cut-detail.js';
import { startTlsListener } from './listener/tls-listener.js';
import { RevocationRegistry } from './revocation-registry.js';
import { countingRequestGuard } from './request-guard.js';
import { startRotationService } from './rotation-service.js';
import { authorizePublish, authorizeSubscribe } from './topic-policy.js';

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
  /** The audit checks on the backend's registry at true time t. */
  audit(t: number): AuditFinding[];
  stats(): BrokerStats;
  close(): Promise<void>;
}

/**
 * Aedes behind a TLS server that requests client certificates. Node's TLS checks certificates only against the host
 * clock, so the server accepts any certificate in the handshake (which still proves key possession) and the
 * admission hook judges the chain at the broker's simulated clock before CONNACK.
 */
export async function startEmbeddedBroker(config: BrokerConfig, onEvent: (event: FleetEvent) => void): Promise<EmbeddedBroker> {
  const pool = new CertificatePool();
  const clock = new DeviceClock(config.clock.model, config.clock.start);
  const revocations = new RevocationRegistry();
  const certificate = (name: string): ParsedCertificate => {
    const pem = config.pki.certificates[name];
    const parsed = pem === undefined ? undefined : pool.parsePem(pem)[0];
    if (!parsed) throw new RangeError(`the broker has no certificate named "${name}"`);
    return parsed;
  };
  let deviceAnchors = config.deviceAuthorities.map(certificate);
  const issuingAuthorities = [config.deviceIssuance.issuer, ...config.deviceIssuance.chain].map(certificate);
  /** The CA certificates the backend has registered: those it accepts device chains under, and those it issues with. */
  const registeredAuthorities = () => [...new Map([...deviceAnchors, ...issuingAuthorities].map((a) => [a.fingerprint, a])).values()];
  const epoch = new EpochWindow(config.clock.start);
  const capacity = new CapacityGate(config.limits, config.shards, config.deviceIndex);
  const registry = new DeviceRegistry();
  const concurrentUse = { sharedCertificates: new Set<string>(), conflictingClientIds: new Set<string>() };
  const stats = emptyBrokerStats();
  const roles = new WeakMap<object, SessionRole>();
  /** The role of each client id's live session (the CA serves a bootstrap session of a revoked device). */
  const liveRoles = new Map<string, SessionRole>();

  const onAdmission = (decision: AdmissionDecision) => {
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
    });
  };
  const guard = countingRequestGuard(epoch, stats, onEvent);
  const onDenied = () => {
    stats.topicDenied += 1;
  };

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
      capacity: (clientId, t) => capacity.admit(clientId, t),
      certificateStatus: (leaf) => registry.statusOf(leaf),
      onAdmission,
    }),
    authorizePublish: authorizePublish(onDenied, (client) => roles.get(client)),
    authorizeSubscribe: authorizeSubscribe(onDenied),
    // A TLS connection that sends no CONNECT is closed after this long (counted by the listener as connect_timeout).
    connectTimeout: config.connections.connectTimeoutMs,
  });
  broker.on('clientDisconnect', (client) => {
    registry.disconnected(client);
    if (roles.get(client) === liveRoles.get(client.id)) liveRoles.delete(client.id);
  });
  const deliveries = new DeliveryService(broker, {
    ackTimeoutMs: 120_000,
    guard,
    lost: deliveryLoss(config.seed, config.faults, () => epoch.now, onEvent),
  });
  await deliveries.start();

  const ca = new DeviceCa({
    authority: authorityFromPki(config.pki, config.deviceIssuance.issuer, config.seed, 'rotation'),
    chain: config.deviceIssuance.chain.map((name) => config.pki.certificates[name] ?? ''),
    clock,
    lifetimeMs: config.deviceIssuance.lifetimeMs,
    backdateMs: config.deviceIssuance.backdateMs,
    issuanceSlot: (deviceId, t) => capacity.issuanceSlot(deviceId, t),
    availability: new CaAvailability(config.faults.planned, (effect) => onEvent({ type: 'fault.effect', ...effect })),
    refusal: (deviceId, t) => {
      const at = clock.read(t);
      const issuing = issuingAuthorities[0];
      if (issuing && revocations.isSerialRevoked(issuing.issuer, issuing.serialHex, at)) return 'issuer_revoked';
      // Renewing over a revoked certificate is refused; re-enrolling with the bootstrap identity is how to come back.
      const current = registry.currentOf(deviceId);
      if (current && liveRoles.get(deviceId) !== 'bootstrap' && revocations.isSerialRevoked(current.issuer, current.serialHex, at)) return 'revoked';
      return undefined;
    },
    onIssuance: (record) => {
      if (record.ok) {
        stats.issued += 1;
        const issued = record.certificatePem === undefined ? undefined : pool.parsePem(record.certificatePem)[0];
        // Fleet provisioning registers its certificates as pending itself; the others are active when issued.
        if (issued && registry.statusOf(issued) === undefined) registry.issued(record.deviceId, issued);
      } else {
        stats.issuanceRejected += 1;
        const reason = record.reason ?? 'unknown';
        stats.issuanceRejectedByReason[reason] = (stats.issuanceRejectedByReason[reason] ?? 0) + 1;
      }
      onEvent({ type: 'broker.issuance', t: record.t, device: record.deviceId, ok: record.ok, reason: record.reason });
    },
  });
  await startRotationService(broker, ca, guard);
  await startFleetProvisioningService({
    broker,
    guard,
    ca,
    registry,
    pool,
    seed: config.seed,
    tokenLifetimeMs: config.ownershipTokenLifetimeMs,
    registrationSlot: (deviceId, t) => capacity.registrationSlot(deviceId, t),
    onRegistration: (record) => {
      if (!record.ok) stats.registrationsRejected += 1;
      onEvent({ type: 'broker.registration', t: record.t, device: record.deviceId, ok: record.ok, reason: record.reason });
    },
  });
  /** Closes the live sessions whose certificate matches (every session: 'all'); returns their client ids. */
  const closeSessions = (matches: ((certificate: RegisteredCertificate) => boolean) | 'all'): string[] => {
    // aedes keeps its connected clients in `clients` (not in its typings).
    const clients = (broker as unknown as { clients: Record<string, Client> }).clients;
    const closed: string[] = [];
    for (const client of Object.values(clients)) {
      const used = registry.sessionCertificate(client);
      if (matches !== 'all' && !(used && matches(used))) continue;
      closed.push(client.id);
      client.close();
    }
    return closed;
  };
  const plannedMessage = plannedDeliveryMessages(config.pki, ca, config.keyAlgorithm);
  const orchestrator = await RenewalOrchestrator.start({
    broker,
    guard,
    registry,
    ca,
    clock,
    keyAlgorithm: config.keyAlgorithm,
    devices: config.backendRotations,
    onJob: (record) => {
      if (record.status === 'created') stats.jobsCreated += 1;
      if (record.status === 'succeeded') stats.jobsSucceeded += 1;
      onEvent({ type: 'broker.job', t: record.t, device: record.deviceId, jobId: record.jobId, status: record.status });
    },
  });

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
    onTlsError: () => {
      stats.tlsErrors += 1;
    },
  });
  const server = listener.server;

  return {
    host: config.listen.host,
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
          // Every session drops; until the broker is back, CONNECTs are refused (CONNACK 3).
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
          const clients = (broker as unknown as { clients: Record<string, Client> }).clients;
          const dropped = Object.values(clients).filter((client) => cut.has(client.id));
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
    deliver: (planned) => deliveries.deliver(planned.map((d) => ({ deviceId: d.deviceId, message: plannedMessage(d) }))),
    startEpoch: (t) => deliveries.deliver(orchestrator.due(t)),
    nextBackendActionAt: (after) => orchestrator.nextDueAt(after),
    setEpoch(from, to) {
      epoch.open(from, to);
    },
    audit: (t) =>
      auditFleet({
        t,
        registry,
        authorities: registeredAuthorities(),
        isRevoked: revocations.isSerialRevoked,
        concurrentUse,
        settings: config.audits,
      }),
    stats: () => ({
      ...stats,
      refused: { ...stats.refused },
      issuanceRejectedByReason: { ...stats.issuanceRejectedByReason },
      connectionsCut: { ...stats.connectionsCut },
      malformedRequests: { ...stats.malformedRequests },
      timeClaimsRefused: { ...stats.timeClaimsRefused },
      connected: broker.connectedClients,
    }),
    async close() {
      listener.close();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}
