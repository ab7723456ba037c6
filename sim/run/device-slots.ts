import type { SessionsDropped } from '../plan/fleet-plan.js';
import type { FactoryCredentials } from '../scenario-pki/device-factory.js';
import { mergeEpochResults, type StatusCounts } from '../stats/fleet-counters.js';
import type { FromDeviceProcess, ToDeviceProcess } from '../../workers/protocol.js';
import type { DeviceHostingOptions } from '../../workers/shard-pool.js';
import type { CoordinatedFleet } from './coordinator.js';
import type { HostLauncher, LaunchedHost, SlotPlace } from './host-launcher.js';

/** A host that died mid-run and was replaced: its slot's devices powered on again at true time `at`. */
export interface DeviceRestart {
  /** The slot (device process number, agent slot). */
  process: number;
  pid: number | undefined;
  devices: number;
  at: number;
  reason: string;
  /** Who holds the devices now ("agent-1 (host b, pid 77)"), when that is another machine's agent. */
  replacement?: string | undefined;
}

/** A slot whose replacements keep dying is given up on: the run then ends as with `stop`. */
const MAX_RESTARTS_PER_SLOT = 3;

export interface DeviceSlotsOptions extends DeviceHostingOptions {
  /** Slots the shards are spread over (shard s in slot s mod slots), each on one host at a time. */
  slots: number;
  /** Shards over the whole fleet (device i on shard i mod shards). */
  shards: number;
  /** A host that dies mid-run is replaced, its devices rebooted; otherwise the run ends with a partial result. */
  replace: boolean;
  onRestart?: ((restart: DeviceRestart) => void) | undefined;
}

type Advanced = Extract<FromDeviceProcess, { type: 'advanced' }>;
type Advance = Extract<ToDeviceProcess, { type: 'advance' }>;

interface Slot extends SlotPlace {
  host: LaunchedHost;
  ready: Promise<void>;
  stopped: Promise<void>;
  /** The epoch sent and not yet answered: a replacement redoes it. */
  inFlight?: Advance | undefined;
  /** The end of the last epoch this slot's devices finished. */
  reached: number;
  /** Its host died between epochs: replaced at the next one, so its devices boot at that epoch's start. */
  diedBetweenEpochs?: { pid: number | undefined; reason: string } | undefined;
  pending?: { resolve: (m: Advanced) => void; reject: (e: Error) => void } | undefined;
}

/**
 * The fleet's devices in hosts apart from the broker: child processes of this machine or agents on any machine. The
 * slot logic is the same for both: shard s in slot s mod slots; an epoch in flight when a host dies is redone by its
 * replacement, whose devices reboot at the epoch's start; a replacement's statistics come under shard ids offset by
 * its generation, so the recorder adds them to those of the host that died instead of replacing them.
 */
export class DeviceSlots implements CoordinatedFleet {
  readonly #slots: Slot[] = [];
  readonly #options: DeviceSlotsOptions;
  readonly #launcher: HostLauncher;
  #failure: Error | undefined;
  #running = false;
  #closing = false;

  private constructor(options: DeviceSlotsOptions, launcher: HostLauncher) {
    this.#options = options;
    this.#launcher = launcher;
  }

  static async start(options: DeviceSlotsOptions, launcher: HostLauncher): Promise<DeviceSlots> {
    const self = new DeviceSlots(options, launcher);
    const start = options.plan.scenario.timeline.start;
    for (const place of slotPlaces(options)) {
      const slot = { ...place, reached: start } as Slot;
      self.#slots.push(slot);
      try {
        self.#launch(slot, start);
      } catch (error) {
        self.destroy();
        throw error;
      }
    }
    try {
      await Promise.all(self.#slots.map((slot) => slot.ready));
    } catch (error) {
      self.destroy();
      throw error;
    }
    self.#running = true;
    return self;
  }

  /** A host that died and was not (yet) replaced: after the last epoch, only this tells the run. */
  get failure(): Error | undefined {
    const died = this.#slots.find((slot) => slot.diedBetweenEpochs)?.diedBetweenEpochs;
    return this.#failure ?? (died ? new Error(died.reason) : undefined);
  }

  /** The operating-system ids of the hosts on this machine (for measurements of their CPU and memory). */
  processIds(): number[] {
    return this.#slots.flatMap((slot) => (slot.host.pid === undefined ? [] : [slot.host.pid]));
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
            else slot.host.send(slot.inFlight);
          }),
      ),
    );
    return mergeEpochResults(this.#options.plan.scenario.fleet.cohorts.length, done);
  }

  /**
   * A process-kill fault: kill the host of `deviceId`, as the operating system's OOM killer would. The devices of every
   * slot that host holds are recorded as killed at t; what follows is what follows any host that dies.
   */
  kill(deviceId: string, t: number): void {
    const { plan } = this.#options;
    const slotOf = (index: number) => (index % this.#options.shards) % this.#slots.length;
    const target = plan.devices.find((d) => d.id === deviceId);
    const slot = target && this.#slots[slotOf(target.index)];
    if (!target || !slot) return;
    const dying = new Set(this.#launcher.sharedFate?.(slot.index) ?? [slot.index]);
    const fault = plan.faults.find((f) => f.kind === 'process-kill' && f.device === deviceId && f.from === t)?.index ?? -1;
    this.#options.onEvents(
      plan.devices
        .filter((d) => dying.has(slotOf(d.index)))
        .map((d) => ({ type: 'fault.effect' as const, t, fault, device: d.id, effect: 'process-killed' as const })),
    );
    slot.host.kill();
  }

  /** Every host disconnects its devices and sends final statistics, then ends (or is ended after 30 s). */
  async stop(): Promise<void> {
    this.#closing = true;
    for (const slot of this.#slots) slot.host.send({ type: 'stop' });
    const giveUp = new Promise<void>((resolve) => setTimeout(resolve, 30_000).unref());
    await Promise.race([Promise.all(this.#slots.map((slot) => slot.stopped)), giveUp]);
    this.destroy();
    await this.#launcher.close?.();
  }

  destroy(): void {
    this.#closing = true;
    for (const { host } of this.#slots) host?.destroy();
  }

  /** Starts a host for a slot, its devices powering on at true time `bootAt`. */
  #launch(slot: Slot, bootAt: number): void {
    const options = this.#options;
    const generation = slot.generation;
    let exited = (): void => undefined;
    let readied = (): void => undefined;
    let notReady = (_error: Error): void => undefined;
    slot.ready = new Promise<void>((resolve, reject) => {
      readied = resolve;
      notReady = reject;
    });
    // A crash after start reaches the run through advance, not through this promise.
    slot.ready.catch(() => undefined);
    slot.stopped = new Promise<void>((resolve) => (exited = resolve));
    let stopping = false;
    let gone = false;
    const fail = (error: Error) => {
      this.#failure ??= error;
      slot.pending?.reject(error);
      slot.pending = undefined;
      notReady(error);
    };
    const host = this.#launcher.launch(slot, {
      message: (message) => {
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
            options.onStats(generation === 0 ? message : { ...message, shard: message.shard + generation * options.shards });
            break;
          case 'failed':
            fail(new Error(`${host.name} failed: ${message.message}`));
            break;
          case 'stopped':
            stopping = true;
            exited();
            break;
        }
      },
      exit: (reason, replaceable) => {
        if (gone) return;
        gone = true;
        exited();
        if (stopping) return;
        if (replaceable && options.replace && this.#running && !this.#closing && !this.#failure && slot.generation < MAX_RESTARTS_PER_SLOT) {
          if (slot.inFlight) this.#restart(slot, host.pid, reason);
          else slot.diedBetweenEpochs = { pid: host.pid, reason };
        } else {
          fail(new Error(reason));
        }
      },
    });
    slot.host = host;
    host.send({
      type: 'start',
      plan: options.plan,
      pki: options.pki,
      credentials: slot.credentials,
      broker: options.broker,
      shards: { ids: slot.ids, total: options.shards },
      options: options.shardOptions,
      bootAt,
    });
  }

  /**
   * A new host for a slot whose host died: its devices reboot (factory credentials, clocks reset at boot) at the
   * start of the epoch they were in, which the new host then runs; the coordinator's wait goes on meanwhile.
   */
  #restart(slot: Slot, pid: number | undefined, reason: string): void {
    slot.generation += 1;
    slot.diedBetweenEpochs = undefined;
    const at = slot.inFlight?.from ?? slot.reached;
    try {
      this.#launch(slot, at);
    } catch (error) {
      this.#failure ??= new Error(`${reason}; no replacement: ${(error as Error).message}`);
      slot.pending?.reject(this.#failure);
      slot.pending = undefined;
      return;
    }
    // The host handles its messages in order: the epoch runs once its devices have started.
    if (slot.inFlight) slot.host.send(slot.inFlight);
    const replacement = slot.host;
    slot.ready.then(
      () => this.#options.onRestart?.({ process: slot.index, pid, devices: slot.held, at, reason, replacement: replacement.pid === undefined ? replacement.name : undefined }),
      (error: Error) => {
        this.#failure ??= new Error(`${reason}; its replacement failed: ${error.message}`);
        slot.pending?.reject(this.#failure);
        slot.pending = undefined;
      },
    );
  }
}

/** Each slot's shards and the factory credentials of its devices. */
function slotPlaces(options: DeviceSlotsOptions): SlotPlace[] {
  const { slots, shards } = options;
  return Array.from({ length: slots }, (_, index) => {
    const ids = Array.from({ length: shards }, (_, s) => s).filter((s) => s % slots === index);
    const credentials: Record<string, FactoryCredentials> = {};
    for (const device of options.plan.devices) {
      const c = options.credentials[device.id];
      if (c && (device.index % shards) % slots === index) credentials[device.id] = c;
    }
    return { index, ids, credentials, held: Object.keys(credentials).length, generation: 0 };
  });
}
