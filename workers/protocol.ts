import type { MessagePort } from 'node:worker_threads';
import type { BrokerDialect } from './broker-dialect.js';
import type { FleetEvent } from '../sim/events/fleet-event.js';
import type { FleetPlan, SessionsDropped } from '../sim/plan/fleet-plan.js';
import type { ScenarioPki } from '../sim/scenario-pki/build-scenario-pki.js';
import type { EncodedHistograms } from '../sim/stats/encoded-histograms.js';
import type { CohortCounters, StatusCounts } from '../sim/stats/fleet-counters.js';

/**
 * Where a shard's devices dial. Broker instances (certfleet run --broker-instances B): device i dials
 * `instances[i mod B]` (workers/broker-address.ts); host and port are then instance 0's. Forwarded unchanged by
 * whoever hosts the shard (a device process, an agent).
 */
export interface BrokerAddress {
  host: string;
  port: number;
  instances?: readonly { host: string; port: number }[] | undefined;
}

/**
 * The one protocol between the coordinator (main thread) and the device workers. A worker gets one long-lived
 * task (`ShardTask`) carrying a MessagePort; everything after that is these tagged messages.
 */
export interface ShardTask {
  shard: number;
  shards: number;
  plan: FleetPlan;
  pki: ScenarioPki;
  /** The factory's first credentials for the devices of this shard, by device id. */
  credentials: Record<string, DeviceCredentials>;
  broker: BrokerAddress;
  options: ShardOptions;
  /** The true time the devices power on: the timeline's start, or later for devices restarted mid-run. */
  bootAt?: number | undefined;
  port: MessagePort;
}

export interface DeviceCredentials {
  keyPem: string;
  certificatePem: string;
  chainPems: string[];
  /** A long-lived birth (claim, attestation) identity, for provisioning only; when the scenario issues one. */
  bootstrap?: Omit<DeviceCredentials, 'bootstrap'> | undefined;
}

export interface ShardOptions {
  /** Devices of this shard acting at once (bounds TLS handshakes in flight). */
  concurrency: number;
  /** One action at a time in (time, device) order, for scenarios whose outcomes depend on arrival order. */
  ordered: boolean;
  /** Devices record the chains they were shown and their anchors (certfleet repro). */
  trace?: boolean | undefined;
  /** Wall-clock limits for a handshake + CONNACK and for a CSR round trip (harness safety nets). */
  connectTimeoutMs: number;
  rotationTimeoutMs: number;
  /** How devices speak to the broker target (time claim, CONNACK causes); the embedded broker's way when absent. */
  dialect?: BrokerDialect | undefined;
}

export type CoordinatorMessage =
  | {
      type: 'advance';
      epoch: number;
      from: number;
      to: number;
      /** Sessions the broker ended at `from` (a restart, a revocation): their devices learn it before they act. */
      sessionsDropped?: SessionsDropped | undefined;
    }
  | { type: 'stop' };

export type ShardMessage =
  | { type: 'ready'; shard: number; devices: number }
  | {
      type: 'epoch-done';
      shard: number;
      epoch: number;
      /** Earliest true time any device of this shard acts next; Infinity when none will. */
      nextDueAt: number;
      /** Status of this shard's devices at the end of the epoch, per cohort. */
      status: StatusCounts[];
      /** Offline notices this shard's devices published in the epoch that the broker acknowledged (PUBACK). */
      offlineNotices: number;
    }
  | { type: 'events'; shard: number; events: FleetEvent[] }
  | { type: 'stats'; shard: number; final: boolean; counters: CohortCounters[]; histograms: EncodedHistograms }
  | { type: 'failed'; shard: number; message: string };

/** The shards one pool serves (one worker each) and how many the whole fleet has: device i lives on shard i mod total. */
export interface ShardAssignment {
  ids: readonly number[];
  total: number;
}

/**
 * The protocol between the coordinator and a device process (a child process hosting a pool of device workers).
 * Devices live outside the broker's process: OpenSSL 3.0 shares locks between the threads of one process, and a
 * process may hold only so many sockets (20 000 here), so broker and devices each get their own.
 */
export type ToDeviceProcess =
  | {
      type: 'start';
      plan: FleetPlan;
      pki: ScenarioPki;
      credentials: Record<string, DeviceCredentials>;
      broker: BrokerAddress;
      shards: ShardAssignment;
      options: ShardOptions;
      bootAt?: number | undefined;
    }
  | CoordinatorMessage;

export type FromDeviceProcess =
  | { type: 'ready'; devices: number }
  | { type: 'advanced'; epoch: number; nextDueAt: number; status: StatusCounts[]; offlineNotices: number }
  | { type: 'events'; events: FleetEvent[] }
  | Extract<ShardMessage, { type: 'stats' }>
  | { type: 'failed'; message: string }
  | { type: 'stopped' };
