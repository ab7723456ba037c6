import { constants as cryptoConstants } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createSecureContext, createServer, type SecureContext, type Server, type TLSSocket } from 'node:tls';
import { Aedes } from 'aedes';
import type { DeliveryMessage } from '../sim/device-api/messages.js';
import type { FleetEvent } from '../sim/events/fleet-event.js';
import type { BrokerEvent } from '../sim/plan/fleet-plan.js';
import { emptyBrokerStats, type BrokerStats } from '../sim/stats/broker-stats.js';
import { authorityFromPki } from '../sim/scenario-pki/build-scenario-pki.js';
import { DeviceClock } from '../sim/time/device-clock.js';
import { CertificatePool } from '../sim/verify/certificate-pool.js';
import type { ParsedCertificate } from '../sim/verify/types.js';
import type { BrokerConfig } from './broker-config.js';
import { DeliveryService, type DeliveryOutcome } from './delivery-service.js';
import { deviceAdmission, type AdmissionDecision } from './device-admission.js';
import { ConnectRateLimiter } from './limits/connect-rate-limiter.js';
import { ServiceQueue } from './limits/service-queue.js';
import { RevocationRegistry } from './revocation-registry.js';
import { startRotationService } from './rotation-service.js';
import { authorizePublish, authorizeSubscribe } from './topic-policy.js';

export interface EmbeddedBroker {
  readonly host: string;
  readonly port: number;
  /** Applies a scenario event (server chain switch, revocation, accepted device authorities). */
  applyEvent(event: BrokerEvent): void;
  /** Sends deliveries; resolves when online devices have acknowledged them. */
  deliver(items: readonly { deviceId: string; message: DeliveryMessage }[]): Promise<DeliveryOutcome>;
  /** The true time to judge clients that do not carry one in their CONNECT. */
  setCurrentTime(t: number): void;
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
  let currentTime = config.clock.start;
  let downUntil = Number.NEGATIVE_INFINITY;
  const shardOf = (clientId: string) => String((config.deviceIndex[clientId] ?? 0) % config.shards);
  const { limits } = config;
  const accountLimit = limits.connectsPerSecond === undefined ? undefined : new ConnectRateLimiter(limits.connectsPerSecond / config.shards);
  const clientLimit = limits.connectsPerClientPerSecond === undefined ? undefined : new ConnectRateLimiter(limits.connectsPerClientPerSecond);
  const issuanceQueues = new Map<string, ServiceQueue>();
  const issuanceSlot =
    limits.issuancePerSecond === undefined
      ? undefined
      : (deviceId: string, t: number) => {
          const shard = shardOf(deviceId);
          let queue = issuanceQueues.get(shard);
          if (!queue) {
            queue = new ServiceQueue((limits.issuancePerSecond ?? 1) / config.shards);
            issuanceQueues.set(shard, queue);
          }
          return queue.serve(t);
        };
  const capacity = (clientId: string, t: number) => {
    if (t < downUntil) return 'broker_unavailable' as const;
    // Per-client first, as AWS IoT throttles a client id before the account.
    if (clientLimit && !clientLimit.tryAcquire(clientId, t)) return 'rate_limited' as const;
    if (accountLimit && !accountLimit.tryAcquire(shardOf(clientId), t)) return 'rate_limited' as const;
    return undefined;
  };
  /** The certificate each device last used or was issued, for "revoke these devices". */
  const deviceCertificates = new Map<string, { issuer: string; serialHex: string }>();
  const stats = emptyBrokerStats();

  const onAdmission = (decision: AdmissionDecision) => {
    if (decision.cause === 'ok') {
      stats.admitted += 1;
      if (decision.leaf) deviceCertificates.set(decision.clientId, { issuer: decision.leaf.issuer, serialHex: decision.leaf.serialHex });
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
    });
  };
  const onDenied = () => {
    stats.topicDenied += 1;
  };

  const broker = await Aedes.createBroker({
    authenticate: deviceAdmission({
      pool,
      clock,
      anchors: () => deviceAnchors,
      isRevoked: revocations.isRevoked,
      fallbackTime: () => currentTime,
      capacity,
      onAdmission,
    }),
    authorizePublish: authorizePublish(onDenied),
    authorizeSubscribe: authorizeSubscribe(onDenied),
  });
  const deliveries = new DeliveryService(broker, { ackTimeoutMs: 10_000 });
  await deliveries.start();

  const issuer = authorityFromPki(config.pki, config.deviceIssuance.issuer, config.seed, 'rotation');
  const issuerSubject = certificate(config.deviceIssuance.issuer).subject;
  await startRotationService({
    broker,
    authority: issuer,
    chain: config.deviceIssuance.chain.map((name) => config.pki.certificates[name] ?? ''),
    clock,
    lifetimeMs: config.deviceIssuance.lifetimeMs,
    backdateMs: config.deviceIssuance.backdateMs,
    issuanceSlot,
    onIssuance: (record) => {
      if (record.ok) {
        stats.issued += 1;
        if (record.serialHex) deviceCertificates.set(record.deviceId, { issuer: issuerSubject, serialHex: record.serialHex });
      } else {
        stats.issuanceRejected += 1;
      }
      onEvent({ type: 'broker.issuance', t: record.t, device: record.deviceId, ok: record.ok, reason: record.reason });
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
  const server: Server = createServer({
    ...serverOptions(config.initialServerCertificate),
    ...(endpointContexts.size > 0 ? { SNICallback: sniCallback } : {}),
    requestCert: true,
    rejectUnauthorized: false,
    // Devices make full handshakes; session tickets would only cost the server (limits.md: up to 15% of its CPU).
    secureOptions: cryptoConstants.SSL_OP_NO_TICKET,
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    // Nagle plus delayed ACKs would add ~40 ms to every CONNACK and CSR reply.
    socket.setNoDelay(true);
    broker.handle(socket);
  });
  server.on('tlsClientError', () => {
    stats.tlsErrors += 1;
  });
  server.listen(config.listen.port, config.listen.host);
  await once(server, 'listening');
  const address = server.address() as AddressInfo;

  return {
    host: config.listen.host,
    port: address.port,
    applyEvent(event) {
      currentTime = event.at;
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
          break;
        }
        case 'revoke-devices': {
          let count = 0;
          for (const id of event.deviceIds) {
            const current = deviceCertificates.get(id);
            if (!current) continue;
            revocations.revoke(current.issuer, current.serialHex, clock.read(event.at));
            count += 1;
          }
          onEvent({ type: 'broker.revocation', t: event.at, target: `${event.deviceIds.length} devices`, certificates: count });
          break;
        }
        case 'restart': {
          // Every session drops; until the broker is back, CONNECTs are refused (CONNACK 3).
          downUntil = event.at + event.downFor;
          // aedes keeps its connected clients in `clients` (not in its typings).
          const clients = (broker as unknown as { clients: Record<string, { close(): void }> }).clients;
          for (const client of Object.values(clients)) client.close();
          onEvent({ type: 'broker.restart', t: event.at, downFor: event.downFor });
          break;
        }
        case 'device-authorities': {
          const removed = new Set(event.remove.map((name) => certificate(name).fingerprint));
          deviceAnchors = [...deviceAnchors.filter((a) => !removed.has(a.fingerprint)), ...event.add.map(certificate)];
          onEvent({ type: 'broker.device-authorities', t: event.at, authorities: deviceAnchors.map((a) => a.label) });
          break;
        }
      }
    },
    deliver: (items) => deliveries.deliver(items),
    setCurrentTime(t) {
      currentTime = t;
    },
    stats: () => ({ ...stats, refused: { ...stats.refused }, connected: broker.connectedClients }),
    async close() {
      server.close();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}
