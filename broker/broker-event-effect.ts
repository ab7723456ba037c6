import type { FleetEvent } from '../sim/events/fleet-event.js';
import type { BrokerEvent } from '../sim/plan/fleet-plan.js';
import type { DeviceClock } from '../sim/time/device-clock.js';
import type { ParsedCertificate } from '../sim/verify/types.js';
import type { BrokerConfig } from './broker-config.js';
import type { DeviceRegistry, RegisteredCertificate } from './device-registry.js';
import type { CapacityGate } from './limits/capacity-gate.js';
import type { RevocationRegistry } from './revocation-registry.js';

/** Which live device sessions a scenario event ends, and what the coordinator is told of them. */
export type SessionCut =
  | { kind: 'none' }
  /** A restart: every device session; the devices all learn it ({ all: true }). */
  | { kind: 'all' }
  /** A revocation: the sessions whose certificate matches; their client ids are told. */
  | { kind: 'certificates'; matches: (certificate: RegisteredCertificate) => boolean }
  /** A partition: the sessions of these client ids, each recorded as the fault's effect. */
  | { kind: 'client-ids'; clientIds: ReadonlySet<string>; fault: number; at: number };

/** What a scenario event changes in the broker's registers, wherever its connections live. */
export interface BrokerEventRegisters {
  config: BrokerConfig;
  clock: DeviceClock;
  registry: DeviceRegistry;
  revocations: RevocationRegistry;
  capacity: CapacityGate;
  certificate: (name: string) => ParsedCertificate;
  deviceAnchors: { get(): readonly ParsedCertificate[]; set(anchors: readonly ParsedCertificate[]): void };
  /** New handshakes get this server certificate (every listener of the broker). */
  useServerCertificate: (name: string) => void;
  onEvent: (event: FleetEvent) => void;
}

/**
 * Carries out a scenario event on the broker's registers (revocations, accepted authorities, the restart's downtime,
 * the server certificate) and records it; returns the sessions it ends, for whoever holds them to close.
 */
export function applyBrokerEventToRegisters(event: BrokerEvent, registers: BrokerEventRegisters): SessionCut {
  const { config, clock, registry, revocations, capacity, certificate, onEvent } = registers;
  switch (event.kind) {
    case 'server-certificate':
      // New handshakes get the new chain; sessions already open keep theirs, as a real broker swap does.
      registers.useServerCertificate(event.use);
      onEvent({ type: 'broker.server-certificate', t: event.at, name: event.use });
      return { kind: 'none' };
    case 'revoke-authority': {
      const revoked = certificate(event.authority);
      revocations.revoke(revoked.issuer, revoked.serialHex, clock.read(event.at));
      onEvent({ type: 'broker.revocation', t: event.at, target: event.authority, certificates: 1 });
      // AWS IoT disconnects the sessions of a revoked (deactivated) certificate within minutes; here at once.
      return { kind: 'certificates', matches: (c) => c.issuer === revoked.subject };
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
      return { kind: 'certificates', matches: (c) => keys.has(c.key) };
    }
    case 'restart':
      // Every device session drops; until the broker is back, CONNECTs are refused (CONNACK 3). The backend's
      // session is kept: this restart is simulated, and the backend is the harness's, not the scenario's.
      capacity.downUntil(event.at + event.downFor);
      onEvent({ type: 'broker.restart', t: event.at, downFor: event.downFor });
      return { kind: 'all' };
    case 'fault-start': {
      const fault = config.faults.planned[event.fault];
      if (fault) onEvent({ type: 'fault.start', t: event.at, fault: fault.index, kind: fault.kind, label: fault.label });
      // A partition: the cohort's sessions drop at once, as their TCP connections die (the devices then fail to
      // reconnect until it ends, on their side: workers/device/fault-windows.ts).
      return event.clientIds ? { kind: 'client-ids', clientIds: new Set(event.clientIds), fault: event.fault, at: event.at } : { kind: 'none' };
    }
    case 'fault-end': {
      const fault = config.faults.planned[event.fault];
      if (fault) onEvent({ type: 'fault.end', t: event.at, fault: fault.index, kind: fault.kind });
      return { kind: 'none' };
    }
    case 'device-authorities': {
      const removed = new Set(event.remove.map((name) => certificate(name).fingerprint));
      const anchors = [...registers.deviceAnchors.get().filter((a) => !removed.has(a.fingerprint)), ...event.add.map(certificate)];
      registers.deviceAnchors.set(anchors);
      onEvent({ type: 'broker.device-authorities', t: event.at, authorities: anchors.map((a) => a.label) });
      return { kind: 'none' };
    }
  }
}

/** Whether a session (its client id and the certificate it authenticated with) is one the cut ends. */
export function cutEnds(cut: SessionCut, clientId: string, certificate: RegisteredCertificate | undefined): boolean {
  switch (cut.kind) {
    case 'none':
      return false;
    case 'all':
      return true;
    case 'certificates':
      return certificate !== undefined && cut.matches(certificate);
    case 'client-ids':
      return cut.clientIds.has(clientId);
  }
}

/** What the coordinator is told of the sessions a cut ended (their client ids, in the order they were closed). */
export function droppedBy(cut: SessionCut, closed: readonly string[], onEvent: (event: FleetEvent) => void): { all?: true; clientIds?: string[] } {
  if (cut.kind === 'none') return {};
  if (cut.kind === 'all') return { all: true };
  if (cut.kind === 'client-ids') {
    for (const device of closed) onEvent({ type: 'fault.effect', t: cut.at, fault: cut.fault, device, effect: 'session-dropped' });
  }
  return { clientIds: [...closed] };
}
