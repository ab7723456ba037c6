import type { FleetEvent } from '../sim/events/fleet-event.js';
import { pkiCertificateLookup } from '../sim/scenario-pki/pki-certificate.js';
import { emptyBrokerStats, type BrokerStats } from '../sim/stats/broker-stats.js';
import { DeviceClock } from '../sim/time/device-clock.js';
import type { ParsedCertificate } from '../sim/verify/types.js';
import { admissionContext } from './admission-context.js';
import { AdmissionLedger } from './admission-ledger.js';
import type { BrokerRegisters } from './aedes-broker.js';
import type { BackendRegisters } from './backend/backend.js';
import type { BrokerEventRegisters } from './broker-event-effect.js';
import type { BrokerConfig } from './broker-config.js';
import type { AdmissionContext, AdmissionDecision, SessionRole } from './device-admission.js';
import { EpochWindow } from './epoch-window.js';

/** What the backend learns from the broker that judged: the authorities it accepts, and the sessions it admitted. */
export interface AdmissionView {
  deviceAuthorities(): readonly ParsedCertificate[];
  sessionRoleOf(clientId: string): SessionRole | undefined;
  readonly concurrentUse: BackendRegisters['concurrentUse'];
}

/**
 * The embedded broker's judge, the same whether Aedes runs in this process or as instances in others: its clock, the
 * epoch it believes claimed times in, its counts and admission ledger, and the device authorities it accepts now
 * (a scenario event changes them).
 */
export class BrokerJudge implements AdmissionView {
  readonly clock: DeviceClock;
  readonly certificate: (name: string) => ParsedCertificate;
  readonly epoch: EpochWindow;
  readonly stats: BrokerStats = emptyBrokerStats();
  readonly ledger: AdmissionLedger;
  readonly #config: BrokerConfig;
  readonly #registers: BrokerRegisters;
  readonly #onEvent: (event: FleetEvent) => void;
  #deviceAnchors: readonly ParsedCertificate[];

  constructor(config: BrokerConfig, registers: BrokerRegisters, onEvent: (event: FleetEvent) => void) {
    this.#config = config;
    this.#registers = registers;
    this.#onEvent = onEvent;
    this.clock = new DeviceClock(config.clock.model, config.clock.start);
    this.certificate = pkiCertificateLookup(config.pki, registers.pool);
    this.epoch = new EpochWindow(config.clock.start);
    this.ledger = new AdmissionLedger(registers.registry, this.stats, config.recordDecisions, onEvent);
    this.#deviceAnchors = config.deviceAuthorities.map(this.certificate);
  }

  deviceAuthorities(): readonly ParsedCertificate[] {
    return this.#deviceAnchors;
  }

  sessionRoleOf(clientId: string): SessionRole | undefined {
    return this.ledger.sessionRoleOf(clientId);
  }

  get concurrentUse(): BackendRegisters['concurrentUse'] {
    return this.ledger.concurrentUse;
  }

  /** The context each CONNECT is judged in; `onAdmission` is told every decision. */
  admissionContext(onAdmission: (decision: AdmissionDecision) => void): AdmissionContext {
    const { pool, registry, revocations, capacity, backend } = this.#registers;
    return admissionContext(this.#config, {
      pool,
      clock: this.clock,
      epoch: this.epoch,
      anchors: () => this.#deviceAnchors,
      certificate: this.certificate,
      registry,
      revocations,
      capacity,
      onAdmission,
      backend,
    });
  }

  /** What a scenario event is carried out on; `useServerCertificate` reaches every listener of the broker. */
  eventRegisters(useServerCertificate: (name: string) => void): BrokerEventRegisters {
    const { registry, revocations, capacity } = this.#registers;
    return {
      config: this.#config,
      clock: this.clock,
      registry,
      revocations,
      capacity,
      certificate: this.certificate,
      deviceAnchors: { get: () => this.#deviceAnchors, set: (anchors) => (this.#deviceAnchors = [...anchors]) },
      useServerCertificate,
      onEvent: this.#onEvent,
    };
  }
}

/** What the backend shares with the broker it serves: the registers, the capacity's queues, and what admission saw. */
export function backendRegisters(registers: BrokerRegisters, admitted: AdmissionView): BackendRegisters {
  const { pool, registry, revocations, capacity } = registers;
  return {
    pool,
    registry,
    revocations,
    issuanceSlot: (deviceId, t) => capacity.issuanceSlot(deviceId, t),
    registrationSlot: (deviceId, t) => capacity.registrationSlot(deviceId, t),
    deviceAuthorities: () => admitted.deviceAuthorities(),
    sessionRoleOf: (deviceId) => admitted.sessionRoleOf(deviceId),
    concurrentUse: admitted.concurrentUse,
  };
}
