import type { Cause } from '../../sim/causes.js';
import type { DeliveryMessage } from '../../sim/device-api/messages.js';
import type { BackendDrivenMethod, DeliveryKindOf, RotationMethod } from '../../sim/device-api/rotation-protocols.js';
import type { RotationStep } from '../../sim/events/fleet-event.js';
import type { BrokerSession } from '../broker-session.js';
import type { DeviceEnvironment } from '../device-environment.js';
import type { Credentials } from '../device/credentials.js';
import type { DeviceCredentials } from '../protocol.js';

/**
 * A rotation protocol: how a device gets its next certificate. A protocol is a sequence of named steps; a step that
 * must wait in simulated time (a CA queue, a registration queue) returns `continue` with the true time to resume at,
 * and the device carries on from there when its shard reaches that time.
 */
export type RotationOutcome =
  | {
      kind: 'install';
      /** True time at which the certificate is in hand (after any queue). */
      at: number;
      credentials: Credentials;
      /** Wall ms the request took, from key generation to the certificate received. */
      requestMs: number;
      /** A step after the device reconnected on the new certificate (a job's commit). */
      afterInstall?: ((session: BrokerSession, t: number) => Promise<Cause | undefined>) | undefined;
    }
  | { kind: 'continue'; at: number; step: RotationStep; resume: (t: number) => Promise<RotationOutcome> }
  | { kind: 'failed'; cause: Cause; step: RotationStep };

/** What a protocol may use of the device running it. */
export interface RotationHost {
  /** The identity the device presents: its MQTT client id, its topics' prefix, its certificates' CN. */
  readonly deviceId: string;
  readonly env: DeviceEnvironment;
  /** The device's operational session, when it has one. */
  session(): BrokerSession | undefined;
  adopt(credentials: DeviceCredentials): Credentials;
  /** A separate session on the device's bootstrap (birth, claim, attestation) identity, for provisioning only. */
  openBootstrapSession(t: number): Promise<{ ok: true; session: BrokerSession } | { ok: false; cause: Cause }>;
  /** Whether an injected fault lost the reply to this request, sent at t (workers/device/fault-windows.ts). */
  replyLost?(requestId: string, t: number): boolean;
}

/** The device half of a protocol the device starts (on its renewal policy). */
export interface DeviceStartedHalf {
  start(host: RotationHost, t: number, attempt: number): Promise<RotationOutcome>;
  /** A session started: a protocol with topics of its own listens there (BackendStartedHalf.attach). */
  attach?: ((host: RotationHost, session: BrokerSession, t: number, receive: (message: DeliveryMessage, receivedAt?: number) => void) => Promise<void>) | undefined;
}

/**
 * The device half of a protocol the backend starts: what the device does with the delivery that starts it. It
 * returns the rotation's first step, which the device runs at the delivery's effective time (or on its arrival).
 */
export interface BackendStartedHalf<K extends DeliveryMessage['kind']> {
  receive(host: RotationHost, message: Extract<DeliveryMessage, { kind: K }>, attempt: number): (t: number) => Promise<RotationOutcome>;
  /**
   * For a protocol whose deliveries come on topics of its own (AWS IoT Jobs: notify-next, start-next): run when a
   * session starts, after the device synced; it listens there and hands each delivery to `receive` (at `receivedAt`,
   * the session's true time, for one found rather than pushed).
   */
  attach?(
    host: RotationHost,
    session: BrokerSession,
    t: number,
    receive: (message: Extract<DeliveryMessage, { kind: K }>, receivedAt?: number) => void,
  ): Promise<void>;
}

/** The device half a protocol needs, by its traits (sim/device-api/rotation-protocols.ts). */
export type DeviceHalf<M extends RotationMethod> = M extends BackendDrivenMethod ? BackendStartedHalf<DeliveryKindOf<M>> : DeviceStartedHalf;

/** A protocol as a device runs it: its name and traits from the registry, and its device half's start. */
export interface RotationProtocol {
  readonly method: RotationMethod;
  /** False when the backend starts rotations (jobs, pushes): the device never renews on its own. */
  readonly deviceInitiated: boolean;
  /** Whether the protocol can run without an operational session (it brings its own). */
  readonly worksOffline: boolean;
  start(host: RotationHost, t: number, attempt: number): Promise<RotationOutcome>;
  /** A session started: a protocol with topics of its own listens there (BackendStartedHalf.attach). */
  attach?: ((host: RotationHost, session: BrokerSession, t: number, receive: (message: DeliveryMessage, receivedAt?: number) => void) => Promise<void>) | undefined;
}
