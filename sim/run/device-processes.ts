import { fork, type ChildProcess } from 'node:child_process';
import type { SessionsDropped } from '../plan/fleet-plan.js';
import type { FactoryCredentials } from '../scenario-pki/device-factory.js';
import { mergeEpochResults, type StatusCounts } from '../stats/fleet-counters.js';
import type { FromDeviceProcess, ToDeviceProcess } from '../../workers/protocol.js';
import type { CoordinatedFleet } from './coordinator.js';
import { compiledScript, type DeviceHostingOptions } from '../../workers/shard-pool.js';

/** What to do when a device process dies mid-run: end the run with a partial result, or start a new process. */
export type OnDeviceCrash = 'stop' | 'restart';

/** A device process that died mid-run and was replaced: its devices powered on again at true time `at`. */
export interface DeviceRestart {
  process: number;
  pid: number | undefined;
  devices: number;
  at: number;
  reason: string;
}

/** A process whose replacements keep dying is given up on: the run then ends as with `stop`. */
const MAX_RESTARTS_PER_PROCESS = 3;

export interface DeviceProcessesOptions extends DeviceHostingOptions {
  /** Child processes hosting devices (at least 1). */
  processes: number;
  /** Device worker threads in each process. */
  workersPerProcess: number;
  /** Default 'stop'. */
  onCrash?: OnDeviceCrash | undefined;
  onRestart?: ((restart: DeviceRestart) => void) | undefined;
}

type Advanced = Extract<FromDeviceProcess, { type: 'advanced' }>;
type Advance = Extract<ToDeviceProcess, { type: 'advance' }>;

interface Host {
  child: ChildProcess;
  /** "device process 1 (pid 123, 4 of 8 devices)": who failed, and how much of the fleet went with it. */
  name: string;
  ready: Promise<void>;
  stopped: Promise<void>;
}

/** One process's place in the fleet: its shards and devices, whichever process currently hosts them. */
interface Slot {
  index: number;
  ids: number[];
  credentials: Record<string, FactoryCredentials>;
  held: number;
  host: Host;
  restarts: number;
  /** The epoch sent and not yet answered: a replacement redoes it. */
  inFlight?: Advance | undefined;
  /** The end of the last epoch this slot's devices finished. */
  reached: number;
  /** Its process died between epochs: replaced at the next one, so its devices boot at that epoch's start. */
  diedBetweenEpochs?: { pid: number | undefined; reason: string } | undefined;
  pending?: { resolve: (m: Advanced) => void; reject: (e: Error) => void } | undefined;
}

/**
 * The fleet's devices in child processes, apart from the broker. Shards are numbered over the whole fleet (device i
 * on shard i mod S, S = processes x workers) and shard s lives in process s mod P, so a fleet can later spread over
 * machines the same way. Each process runs a ShardPool of device workers and relays the coordinator's epochs.
 */
export class DeviceProcesses implements CoordinatedFleet {
  readonly #slots: Slot[] = [];
  readonly #options: DeviceProcessesOptions;
  readonly #total: number;
  readonly #devices: number;
  #failure: Error | undefined;
  #running = false;
  #closing = false;

  private constructor(options: DeviceProcessesOptions) {
    this.#options = options;
    this.#devices = options.plan.devices.length;
    this.#total = fleetShardCount(options.processes, options.workersPerProcess, this.#devices);
  }

  static async start(options: DeviceProcessesOptions): Promise<DeviceProcesses> {
    const self = new DeviceProcesses(options);
    const processes = Math.max(1, Math.min(options.processes, self.#devices));
    for (let p = 0; p < processes; p += 1) {
      const ids = Array.from({ length: self.#total }, (_, s) => s).filter((s) => s % processes === p);
      const credentials: Record<string, FactoryCredentials> = {};
      for (const device of options.plan.devices) {
        const c = options.credentials[device.id];
        if (c && (device.index % self.#total) % processes === p) credentials[device.id] = c;
      }
      const start = options.plan.scenario.timeline.start;
      const slot = { index: p, ids, credentials, held: Object.keys(credentials).length, restarts: 0, reached: start } as Slot;
      slot.host = self.#launch(slot, start);
      self.#slots.push(slot);
    }
    try {
      await Promise.all(self.#slots.map((slot) => slot.host.ready));
    } catch (error) {
      self.destroy();
      throw error;
    }
    self.#running = true;
    return self;
  }

  /** A process that died and was not (yet) replaced: after the last epoch, only this tells the run. */
  get failure(): Error | undefined {
    const died = this.#slots.find((slot) => slot.diedBetweenEpochs)?.diedBetweenEpochs;
    return this.#failure ?? (died ? new Error(died.reason) : undefined);
  }

  /** The operating-system ids of the device processes (for measurements of their CPU and memory). */
  processIds(): number[] {
    return this.#slots.flatMap((slot) => (slot.host.child.pid === undefined ? [] : [slot.host.child.pid]));
  }

  async advance(epoch: number, from: number, to: number, notices: { sessionsDropped?: SessionsDropped } = {}): Promise<{ nextDueAt: number; status: StatusCounts[]; offlineNotices: number }> {
    if (this.#failure) throw this.#failure;
    const done = await Promise.all(
      this.#slots.map(
        (slot) =>
          new Promise<Advanced>((resolve, reject) => {
            slot.pending = { resolve, reject };
            slot.inFlight = { type: 'advance', epoch, from, to, sessionsDropped: notices.sessionsDropped };
            if (slot.diedBetweenEpochs) this.#restart(slot, slot.diedBetweenEpochs.pid, slot.diedBetweenEpochs.reason);
            else send(slot.host.child, slot.inFlight);
          }),
      ),
    );
    return mergeEpochResults(this.#options.plan.scenario.fleet.cohorts.length, done);
  }

  /**
   * A process-kill fault: SIGKILL the process hosting `deviceId`, as the operating system's OOM killer would. Its
   * devices are recorded as killed at t; what follows is what follows any device process that dies (--on-device-crash).
   */
  kill(deviceId: string, t: number): void {
    const { plan } = this.#options;
    const processOf = (index: number) => (index % this.#total) % this.#slots.length;
    const target = plan.devices.find((d) => d.id === deviceId);
    const slot = target && this.#slots[processOf(target.index)];
    if (!target || !slot) return;
    const fault = plan.faults.find((f) => f.kind === 'process-kill' && f.device === deviceId && f.from === t)?.index ?? -1;
    this.#options.onEvents(
      plan.devices
        .filter((d) => processOf(d.index) === processOf(target.index))
        .map((d) => ({ type: 'fault.effect' as const, t, fault, device: d.id, effect: 'process-killed' as const })),
    );
    slot.host.child.kill('SIGKILL');
  }

  /** Every process disconnects its devices and sends final statistics, then exits (or is killed after 30 s). */
  async stop(): Promise<void> {
    this.#closing = true;
    for (const slot of this.#slots) send(slot.host.child, { type: 'stop' });
    const giveUp = new Promise<void>((resolve) => setTimeout(resolve, 30_000).unref());
    await Promise.race([Promise.all(this.#slots.map((slot) => slot.host.stopped)), giveUp]);
    this.destroy();
  }

  destroy(): void {
    this.#closing = true;
    for (const { host } of this.#slots) {
      if (host.child.exitCode === null && host.child.signalCode === null) host.child.kill('SIGKILL');
    }
  }

  /** Starts a process for a slot's shards, its devices powering on at true time `bootAt`. */
  #launch(slot: Slot, bootAt: number): Host {
    const options = this.#options;
    // Not the parent's flags (a test runner's loaders, say): only what CERTFLEET_DEVICE_NODE_ARGS asks for, such as
    // "--cpu-prof --cpu-prof-dir=prof" to profile the devices (Node refuses --cpu-prof in NODE_OPTIONS).
    const execArgv = (process.env.CERTFLEET_DEVICE_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
    const child = fork(compiledScript('workers/device-process.js'), [], { serialization: 'advanced', execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const devices = this.#devices;
    const name = `device process ${slot.index} (pid ${child.pid ?? 'unknown'}, ${slot.held} of ${devices} device${devices === 1 ? '' : 's'})`;
    // A replacement's shards report under ids of their own: the recorder adds their counts to those of the process
    // that died instead of replacing them.
    const generation = slot.restarts;
    let exited = (): void => undefined;
    let readied = (): void => undefined;
    let notReady = (_error: Error): void => undefined;
    const host: Host = {
      child,
      name,
      ready: new Promise<void>((resolve, reject) => {
        readied = resolve;
        notReady = reject;
      }),
      stopped: new Promise<void>((resolve) => (exited = resolve)),
    };
    // A crash after start reaches the run through advance, not through this promise.
    host.ready.catch(() => undefined);
    let stopping = false;
    const fail = (error: Error) => {
      this.#failure ??= error;
      slot.pending?.reject(error);
      slot.pending = undefined;
      notReady(error);
    };
    child.on('message', (message: FromDeviceProcess) => {
      switch (message.type) {
        case 'ready':
          readied();
          break;
        case 'advanced':
          slot.reached = slot.inFlight?.to ?? slot.reached;
          slot.inFlight = undefined;
          slot.pending?.resolve(message);
          slot.pending = undefined;
          break;
        case 'events':
          options.onEvents(message.events);
          break;
        case 'stats':
          options.onStats(generation === 0 ? message : { ...message, shard: message.shard + generation * this.#total });
          break;
        case 'failed':
          fail(new Error(`${name} failed: ${message.message}`));
          break;
        case 'stopped':
          stopping = true;
          break;
      }
    });
    child.on('exit', (code, signal) => {
      exited();
      if (stopping) return;
      const reason = `${name} exited unexpectedly: ${signal ? `killed by ${signal}` : `exit code ${code}`}`;
      if (options.onCrash === 'restart' && this.#running && !this.#closing && !this.#failure && slot.restarts < MAX_RESTARTS_PER_PROCESS) {
        if (slot.inFlight) this.#restart(slot, child.pid, reason);
        else slot.diedBetweenEpochs = { pid: child.pid, reason };
      } else {
        fail(new Error(reason));
      }
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      // A message sent to a process that is dying: its exit, which follows, says what happened.
      if (error.code === 'EPIPE' || error.code === 'ERR_IPC_CHANNEL_CLOSED') return;
      fail(new Error(`${name}: ${error.message}`));
    });
    send(child, {
      type: 'start',
      plan: options.plan,
      pki: options.pki,
      credentials: slot.credentials,
      broker: options.broker,
      shards: { ids: slot.ids, total: this.#total },
      options: options.shardOptions,
      bootAt,
    });
    return host;
  }

  /**
   * A new process for a slot whose process died: its devices reboot (factory credentials, clocks reset at boot) at the
   * start of the epoch they were in, which the new process then runs; the coordinator's wait goes on meanwhile.
   */
  #restart(slot: Slot, pid: number | undefined, reason: string): void {
    slot.restarts += 1;
    slot.diedBetweenEpochs = undefined;
    const at = slot.inFlight?.from ?? slot.reached;
    const replacement = this.#launch(slot, at);
    slot.host = replacement;
    // The device process handles its messages in order: the epoch runs once its devices have started.
    if (slot.inFlight) send(replacement.child, slot.inFlight);
    replacement.ready.then(
      () => this.#options.onRestart?.({ process: slot.index, pid, devices: slot.held, at, reason }),
      (error: Error) => {
        this.#failure ??= new Error(`${reason}; its replacement failed: ${error.message}`);
        slot.pending?.reject(this.#failure);
        slot.pending = undefined;
      },
    );
  }
}

/** How many shards a fleet of `devices` has over these processes and workers (never more shards than devices). */
export function fleetShardCount(processes: number, workersPerProcess: number, devices: number): number {
  const p = Math.max(1, Math.min(processes, devices));
  return Math.max(p, Math.min(p * Math.max(1, workersPerProcess), devices));
}

function send(child: ChildProcess, message: ToDeviceProcess): void {
  if (child.connected) child.send(message);
}
