import type { AuditFinding } from '../../sim/audit/audit-checks.js';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import type { BrokerEvent, Delivery, SessionsDropped } from '../../sim/plan/fleet-plan.js';
import type { RedisAddress } from '../../sim/redis/redis-url.js';
import { backendRegisters, BrokerJudge } from '../broker-judge.js';
import type { BrokerStats } from '../../sim/stats/broker-stats.js';
import { CertificatePool } from '../../sim/verify/certificate-pool.js';
import { backendIdentityFor } from '../backend/backend-identity.js';
import type { Backend } from '../backend/backend.js';
import { scenarioBackendConnection } from '../backend/broker-chain-check.js';
import type { ReconnectableBrokerLink } from '../backend/broker-link.js';
import { connectBackend } from '../backend/connect-backend.js';
import type { BrokerConfig } from '../broker-config.js';
import { applyBrokerEventToRegisters, cutEnds, droppedBy } from '../broker-event-effect.js';
import type { DeliveryOutcome } from '../delivery-service.js';
import { DeviceRegistry } from '../device-registry.js';
import { CapacityGate } from '../limits/capacity-gate.js';
import { dialAddress } from '../listen-address.js';
import { RevocationRegistry } from '../revocation-registry.js';
import { combinedStats } from '../embedded-broker.js';
import { InstanceAdmission } from './instance-admission.js';
import { InstanceHost } from './instance-host.js';
import { addInstanceStats, noInstanceStats } from './instance-protocol.js';
import type { InstanceReport } from './instance-report.js';
import { InstanceSessions } from './instance-sessions.js';

export interface BrokerInstancesOptions {
  instances: number;
  redis: RedisAddress;
  /** Names the run's Redis channels (certfleet:run:<runId>:broker/...): two runs on one Redis never mix. */
  runId: string;
}

/** The embedded broker as several processes, driven by the coordinator like the one-process broker. */
export interface BrokerInstances {
  /** Where each instance listens: device i dials instance i mod B. */
  readonly addresses: readonly { host: string; port: number }[];
  applyEvent(event: BrokerEvent): Promise<SessionsDropped>;
  setEpoch(from: number, to: number): Promise<void>;
  /** The sessions instances that died held since the last epoch: their devices learn it at this epoch's start. */
  unplannedSessionsDropped(): SessionsDropped;
  startEpoch(t: number): Promise<DeliveryOutcome>;
  nextBackendActionAt(after: number): number;
  deliver(deliveries: readonly Delivery[]): Promise<DeliveryOutcome>;
  offlineNoticesSent(total: number): void;
  audit(t: number): AuditFinding[];
  stats(): BrokerStats;
  report(): InstanceReport[];
  close(): Promise<void>;
}

/**
 * Starts B broker instance processes (broker-instance-process.ts), joined through Redis, and the backend on
 * instance 0. The registers (registry, revocations, capacity, accepted authorities, session roles) stay here, in
 * the coordinator's process: one source of truth, each admission judged at the claimed time inside the epoch this
 * process opened, as in one process. An instance that dies is restarted on its port; for its devices that is a
 * broker restart at the current epoch's time, recorded as one.
 */
export async function startBrokerInstances(config: BrokerConfig, options: BrokerInstancesOptions, onEvent: (event: FleetEvent) => void): Promise<BrokerInstances> {
  const pool = new CertificatePool();
  const identity = backendIdentityFor(config, pool);
  const registers = {
    pool,
    registry: new DeviceRegistry(),
    revocations: new RevocationRegistry(),
    capacity: new CapacityGate(config.limits, config.shards, config.deviceIndex),
    backend: { clientId: identity.clientId, fingerprint: identity.fingerprint },
  };
  const { registry } = registers;
  const judge = new BrokerJudge(config, registers, onEvent);
  const { clock, epoch, stats, ledger } = judge;
  const sessions = new InstanceSessions();
  const hosts: InstanceHost[] = [];
  const admission = new InstanceAdmission({
    context: judge.admissionContext((decision) => ledger.record(decision)),
    ledger,
    sessions,
    instances: options.instances,
    reply: (instance, message) => hosts[instance]?.send(message),
    onEvent,
  });

  let backend: Backend | undefined;
  let link: ReconnectableBrokerLink | undefined;
  let unplanned: string[] = [];
  const restarting: Promise<void>[] = [];
  let failure: Error | undefined;
  const died = (instance: number, reason: string) => {
    const host = hosts[instance];
    if (!host) return;
    // The sessions it held are gone: for its devices, a broker restart now (the epoch's time), recorded as one.
    const lost = sessions.clear(instance);
    const devices = lost.filter((s) => s.role !== 'backend');
    for (const session of lost) ledger.sessionEnded(session, session.clientId);
    unplanned.push(...devices.map((s) => s.clientId));
    admission.restarted(instance, epoch.now, reason, devices.length);
    onEvent({ type: 'broker.restart', t: epoch.now, downFor: 0, instance, sessions: devices.length });
    restarting.push(
      host
        .restart()
        // The backend's session was on it: the backend dials again, as after any lost broker.
        .then(() => (instance === 0 ? link?.reconnect() : undefined))
        .catch((error: unknown) => {
          failure ??= new Error(`${reason}; restarting it failed: ${(error as Error).message}`);
        }),
    );
  };

  const failed = (instance: number, message: string) => {
    failure ??= new Error(`broker instance ${instance}: ${message}`);
  };
  try {
    const start = (instance: number) => ({ type: 'start' as const, instance, config, port: config.listen.port, redis: options.redis, channelPrefix: `certfleet:run:${options.runId}:broker` });
    // Instance i on the configured port + i (a firewall or a Kubernetes Service names them), or all on free ports for 0.
    hosts.push(await InstanceHost.launch(start(0), { ...admission.handlers, died, failed }));
    for (let i = 1; i < options.instances; i += 1) {
      hosts.push(await InstanceHost.launch({ ...start(i), port: config.listen.port === 0 ? 0 : config.listen.port + i }, { ...admission.handlers, died, failed }));
    }
    const address = { host: dialAddress(config.listen.host), port: hosts[0]?.port ?? 0 };
    ({ backend, link } = await connectBackend(
      config,
      // The backend connects before the first epoch, at the broker's reading of the timeline's start.
      scenarioBackendConnection(config, identity, address, pool, () => clock.read(config.clock.start)),
      backendRegisters(registers, judge),
      onEvent,
    ));
  } catch (error) {
    await Promise.all(hosts.map((host) => host.stop().catch(() => undefined)));
    throw error;
  }
  const live: Backend = backend;

  const eventRegisters = judge.eventRegisters((use) => hosts.forEach((host) => host.send({ type: 'server-certificate', use })));
  const instanceStats = () => hosts.reduce((sum, host) => addInstanceStats(sum, host.stats()), noInstanceStats());

  return {
    addresses: hosts.map((host) => ({ host: dialAddress(config.listen.host), port: host.port })),
    async applyEvent(event) {
      const cut = applyBrokerEventToRegisters(event, eventRegisters);
      const closed: string[] = [];
      if (cut.kind !== 'none') {
        // Each instance closes those of the chosen connections that are still live sessions there, as one broker
        // closes those of its clients: a connection that already went is not reported dropped.
        const answers = await Promise.all(
          hosts.map((host) => {
            const chosen = cut.kind === 'all' ? 'all' : sessions.devicesOf(host.index).filter((s) => cutEnds(cut, s.clientId, registry.sessionCertificate(s)));
            return chosen === 'all' || chosen.length > 0 ? host.request({ type: 'close', connections: chosen === 'all' ? 'all' : chosen.map((s) => s.connection) }) : undefined;
          }),
        );
        for (const answer of answers) closed.push(...(answer?.clientIds ?? []));
      }
      const dropped = droppedBy(cut, closed, onEvent);
      // The backend learns of the sessions the broker ended from the event, at its true time.
      live.sessionsDropped(dropped);
      return dropped;
    },
    async setEpoch(from, to) {
      // An instance restarted in the last epoch is back before the next one starts.
      await Promise.all(restarting.splice(0));
      if (failure) throw failure;
      epoch.open(from, to);
      live.setEpoch(from, to);
      // Not awaited: the instances judge nobody (admission is here), they only stamp their cuts with the epoch's
      // time and answer with their counts, which stats() reads as they arrive.
      for (const host of hosts) void host.request({ type: 'epoch', from, to });
    },
    unplannedSessionsDropped() {
      if (unplanned.length === 0) return {};
      const dropped = { clientIds: [...new Set(unplanned)] };
      unplanned = [];
      live.sessionsDropped(dropped);
      return dropped;
    },
    startEpoch: (t) => live.startEpoch(t),
    nextBackendActionAt: (after) => live.nextBackendActionAt(after),
    deliver: (deliveries) => live.deliver(deliveries),
    offlineNoticesSent: (total) => live.offlineNoticesSent(total),
    audit: (t) => live.audit(t),
    stats: () => combinedStats({ ...stats, refused: { ...stats.refused }, ...instanceStats() }, live.stats()),
    report: () => hosts.map((host) => admission.report(host.index, { host: dialAddress(config.listen.host), port: host.port }, host.pids)),
    async close() {
      await live.close().catch(() => undefined);
      await Promise.all(restarting.splice(0));
      await Promise.all(hosts.map((host) => host.stop().catch(() => undefined)));
    },
  };
}
