import type { AuditFinding } from '../../sim/audit/audit-checks.js';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import type { Delivery, SessionsDropped } from '../../sim/plan/fleet-plan.js';
import { authorityFromPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { pkiCertificateLookup } from '../../sim/scenario-pki/pki-certificate.js';
import { emptyBrokerStats, type BrokerStats } from '../../sim/stats/broker-stats.js';
import { DeviceClock } from '../../sim/time/device-clock.js';
import type { CertificatePool } from '../../sim/verify/certificate-pool.js';
import type { ParsedCertificate } from '../../sim/verify/types.js';
import { auditFleet } from '../audit/fleet-audit.js';
import type { BrokerConfig } from '../broker-config.js';
import { CaAvailability } from '../ca-availability.js';
import { DeliveryService, type DeliveryOutcome } from '../delivery-service.js';
import { deliveryLoss } from '../delivery-loss.js';
import type { SessionRole } from '../device-admission.js';
import { DeviceCa } from '../device-ca.js';
import type { DeviceRegistry } from '../device-registry.js';
import { EpochWindow } from '../epoch-window.js';
import { JobStore } from '../jobs/job-store.js';
import { jobNotifyChannel } from '../jobs/job-notify-channel.js';
import { plannedDeliveryMessages } from '../planned-deliveries.js';
import { RenewalOrchestrator } from '../renewal-orchestrator.js';
import { countingRequestGuard } from '../request-guard.js';
import type { RevocationRegistry } from '../revocation-registry.js';
import type { BrokerLink } from './broker-link.js';
import type { RotationBackend } from './protocol-backend.js';
import { startBackendRotation, startProtocolBackends } from './protocol-registry.js';

/**
 * What the backend shares with the broker it serves, as AWS IoT's registry is shared by its broker and its services:
 * the certificate registry (admission refuses an inactive certificate; the backend issues, activates and audits),
 * the revocation list, the capacity queues of issuance and registration, and what admission learnt.
 */
export interface BackendRegisters {
  pool: CertificatePool;
  registry: DeviceRegistry;
  revocations: RevocationRegistry;
  /** The true time the CA serves a CSR, and RegisterThing a registration, that arrived at t (their queues). */
  issuanceSlot: (deviceId: string, t: number) => number;
  registrationSlot: (deviceId: string, t: number) => number;
  /** The device authorities the broker accepts now (the audits check them). */
  deviceAuthorities: () => readonly ParsedCertificate[];
  /** The role of a device's live session: the CA serves a revoked device's bootstrap session, not its own. */
  sessionRoleOf: (deviceId: string) => SessionRole | undefined;
  /** Certificates and client ids admission saw in two live sessions at once (Device Defender's findings). */
  concurrentUse: { sharedCertificates: ReadonlySet<string>; conflictingClientIds: ReadonlySet<string> };
  /** Told of every certificate the CA issues (PEM): a broker judging at one clock reading per epoch needs its bounds. */
  certificateIssued?: ((certificatePem: string) => void) | undefined;
}

/** The backend services (CA and rotation, fleet provisioning, jobs and pushes, deliveries, audits) as one. */
export interface Backend {
  /** The epoch [from, to) the coordinator runs now: the true times a device's request may claim. */
  setEpoch(from: number, to: number): void;
  /** Starts the rotations the backend drives (jobs, pushes) that are due at true time t. */
  startEpoch(t: number): Promise<DeliveryOutcome>;
  /** The earliest true time after `after` at which the backend will start a rotation. */
  nextBackendActionAt(after: number): number;
  /** Sends planned deliveries; resolves when online devices have acknowledged them. */
  deliver(deliveries: readonly Delivery[]): Promise<DeliveryOutcome>;
  /** The broker ended these sessions (restart, revocation, partition): their devices are offline. */
  sessionsDropped(dropped: SessionsDropped): void;
  /** The devices have published this many offline notices in all (docs/architecture.md, "Presence"). */
  offlineNoticesSent(total: number): void;
  /** The audit checks on the registry at true time t. */
  audit(t: number): AuditFinding[];
  /** The backend's counts (issuance, registrations, jobs, refused requests); the broker's fields stay zero. */
  stats(): BrokerStats;
  close(): Promise<void>;
}

/** Starts every backend service on the link; they talk to the broker only through it. */
export async function startBackend(
  config: BrokerConfig,
  link: BrokerLink,
  registers: BackendRegisters,
  onEvent: (event: FleetEvent) => void,
): Promise<Backend> {
  const { pool, registry, revocations } = registers;
  const clock = new DeviceClock(config.clock.model, config.clock.start);
  const epoch = new EpochWindow(config.clock.start);
  const stats = emptyBrokerStats();
  const guard = countingRequestGuard(epoch, stats, onEvent, config.timeClaims);
  const issuingAuthorities = [config.deviceIssuance.issuer, ...config.deviceIssuance.chain].map(pkiCertificateLookup(config.pki, pool));

  // AWS IoT Jobs: a rotation job travels as notify-next and the device's start-next acknowledges it.
  const jobs = new JobStore();
  const deliveries = new DeliveryService(link, {
    ackTimeoutMs: 120_000,
    guard,
    lost: deliveryLoss(config.seed, config.faults, () => epoch.now, onEvent),
    onDelivery: config.recordDecisions
      ? (deviceId, message, outcome) =>
          onEvent({ type: 'broker.delivery', t: epoch.now, device: deviceId, updateId: message.updateId, kind: message.kind, outcome })
      : undefined,
    channels: { job: jobNotifyChannel(link, jobs) },
  });
  jobs.onStarted((thingName, execution) => deliveries.acknowledge(thingName, execution.updateId));
  await deliveries.start();

  const ca = new DeviceCa({
    authority: authorityFromPki(config.pki, config.deviceIssuance.issuer, config.seed, 'rotation'),
    chain: config.deviceIssuance.chain.map((name) => config.pki.certificates[name] ?? ''),
    clock,
    lifetimeMs: config.deviceIssuance.lifetimeMs,
    backdateMs: config.deviceIssuance.backdateMs,
    issuanceSlot: registers.issuanceSlot,
    availability: new CaAvailability(config.faults.planned, (effect) => onEvent({ type: 'fault.effect', ...effect })),
    refusal: (deviceId, t) => {
      const at = clock.read(t);
      const issuing = issuingAuthorities[0];
      if (issuing && revocations.isSerialRevoked(issuing.issuer, issuing.serialHex, at)) return 'issuer_revoked';
      // Renewing over a revoked certificate is refused; re-enrolling with the bootstrap identity is how to come back.
      const current = registry.currentOf(deviceId);
      if (current && registers.sessionRoleOf(deviceId) !== 'bootstrap' && revocations.isSerialRevoked(current.issuer, current.serialHex, at)) return 'revoked';
      return undefined;
    },
    onIssuance: (record) => {
      let issued: ParsedCertificate | undefined;
      if (record.ok) {
        stats.issued += 1;
        issued = record.certificatePem === undefined ? undefined : pool.parsePem(record.certificatePem)[0];
        // Fleet provisioning registers its certificates as pending itself; the others are active when issued.
        if (issued && registry.statusOf(issued) === undefined) registry.issued(record.deviceId, issued);
        if (record.certificatePem !== undefined) registers.certificateIssued?.(record.certificatePem);
      } else {
        stats.issuanceRejected += 1;
        const reason = record.reason ?? 'unknown';
        stats.issuanceRejectedByReason[reason] = (stats.issuanceRejectedByReason[reason] ?? 0) + 1;
      }
      const certificate = issued ? { serial: issued.serialHex, notAfter: issued.notAfter } : {};
      onEvent({ type: 'broker.issuance', t: record.t, device: record.deviceId, ok: record.ok, reason: record.reason, ...certificate });
    },
  });
  const rotationBackend: RotationBackend = {
    broker: link,
    guard,
    ca,
    registry,
    jobs,
    pool,
    seed: config.seed,
    keyAlgorithm: config.keyAlgorithm,
    tokenLifetimeMs: config.ownershipTokenLifetimeMs,
    registrationSlot: registers.registrationSlot,
    onRegistration: (record) => {
      if (!record.ok) stats.registrationsRejected += 1;
      onEvent({ type: 'broker.registration', t: record.t, device: record.deviceId, ok: record.ok, reason: record.reason });
    },
    onJob: (record) => {
      if (record.status === 'created') stats.jobsCreated += 1;
      if (record.status === 'succeeded') stats.jobsSucceeded += 1;
      onEvent({ type: 'broker.job', t: record.t, device: record.deviceId, jobId: record.jobId, status: record.status });
    },
  };
  await startProtocolBackends(rotationBackend);
  const orchestrator = new RenewalOrchestrator({
    registry,
    clock,
    devices: config.backendRotations,
    startRotation: (protocol, rotation) => startBackendRotation(rotationBackend, protocol, rotation),
  });
  const plannedMessage = plannedDeliveryMessages(config.pki, ca, config.keyAlgorithm);
  /** The CA certificates the backend has registered: those it accepts device chains under, and those it issues with. */
  const registeredAuthorities = () =>
    [...new Map([...registers.deviceAuthorities(), ...issuingAuthorities].map((a) => [a.fingerprint, a])).values()];

  return {
    setEpoch: (from, to) => epoch.open(from, to),
    startEpoch: (t) => deliveries.deliver(orchestrator.due(t)),
    nextBackendActionAt: (after) => orchestrator.nextDueAt(after),
    deliver: (planned) => deliveries.deliver(planned.map((d) => ({ deviceId: d.deviceId, message: plannedMessage(d) }))),
    sessionsDropped: (dropped) => deliveries.sessionsDropped(dropped),
    offlineNoticesSent: (total) => deliveries.offlineNoticesSent(total),
    audit: (t) =>
      auditFleet({
        t,
        registry,
        authorities: registeredAuthorities(),
        isRevoked: revocations.isSerialRevoked,
        concurrentUse: registers.concurrentUse,
        settings: config.audits,
      }),
    stats: () => ({
      ...stats,
      issuanceRejectedByReason: { ...stats.issuanceRejectedByReason },
      malformedRequests: { ...stats.malformedRequests },
      timeClaimsRefused: { ...stats.timeClaimsRefused },
    }),
    close: () => link.close(),
  };
}
