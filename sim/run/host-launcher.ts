import type { FactoryCredentials } from '../scenario-pki/device-factory.js';
import type { FromDeviceProcess, ToDeviceProcess } from '../../workers/protocol.js';

/** One slot of the fleet: its shards and devices, whichever host (a child process, an agent) holds them now. */
export interface SlotPlace {
  index: number;
  /** The slot's shard ids (shard s is in slot s mod slots). */
  ids: number[];
  credentials: Record<string, FactoryCredentials>;
  /** How many devices the slot holds. */
  held: number;
  /** 0 for the first host, then one more for each replacement: replies are routed by it, stats ids offset by it. */
  generation: number;
}

/** What a host tells the slots: its messages in order, and its end. */
export interface HostListener {
  message(message: FromDeviceProcess): void;
  /**
   * The host is gone without having said 'stopped'. `replaceable` is false when no replacement can help (Redis is
   * gone), so the run ends whatever was asked.
   */
  exit(reason: string, replaceable: boolean): void;
}

/** A running host of one slot's devices, as the slots drive it. */
export interface LaunchedHost {
  /** "device process 1 (pid 123, 4 of 8 devices)": who failed, and how much of the fleet went with it. */
  readonly name: string;
  /** Its operating-system process id, when it runs on this machine. */
  readonly pid?: number | undefined;
  send(message: ToDeviceProcess): void;
  /** A process-kill fault: the host dies at once, as under the OOM killer. */
  kill(): void;
  /** The host is not needed any more: end it whatever it is doing. */
  destroy(): void;
}

/** Starts hosts for slots: child processes on this machine (ForkLauncher) or agents joined through Redis. */
export interface HostLauncher {
  /** A host for the slot (its start message follows); throws when there is nowhere to put it. */
  launch(slot: SlotPlace, listener: HostListener): LaunchedHost;
  /** The hosts that a process-kill fault on a device of this slot's host takes down with it (slot indexes). */
  sharedFate?(slot: number): number[];
  /** Everything is stopped: release what the launcher holds (connections, keys). */
  close?(): Promise<void>;
}
