import { fork, type ChildProcess } from 'node:child_process';
import type { SessionsDropped } from '../plan/fleet-plan.js';
import type { FactoryCredentials } from '../scenario-pki/device-factory.js';
import { mergeEpochResults, type StatusCounts } from '../stats/fleet-counters.js';
import type { FromDeviceProcess, ToDeviceProcess } from '../../workers/protocol.js';
import type { CoordinatedFleet } from './coordinator.js';
import { compiledScript, type DeviceHostingOptions } from './shard-pool.js';

export interface DeviceProcessesOptions extends DeviceHostingOptions {
  /** Child processes hosting devices (at least 1). */
  processes: number;
  /** Device worker threads in each process. */
  workersPerProcess: number;
}

type Advanced = Extract<FromDeviceProcess, { type: 'advanced' }>;

interface Host {
  child: ChildProcess;
  pending?: { resolve: (m: Advanced) => void; reject: (e: Error) => void } | undefined;
  stopped: Promise<void>;
}

/**
 * The fleet's devices in child processes, apart from the broker. Shards are numbered over the whole fleet (device i
 * on shard i mod S, S = processes x workers) and shard s lives in process s mod P, so a fleet can later spread over
 * machines the same way. Each process runs a ShardPool of device workers and relays the coordinator's epochs.
 */
export class DeviceProcesses implements CoordinatedFleet {
  readonly #hosts: Host[];
  readonly #cohorts: number;
  readonly #health: { failure?: Error | undefined };

  private constructor(hosts: Host[], cohorts: number, health: { failure?: Error | undefined }) {
    this.#hosts = hosts;
    this.#cohorts = cohorts;
    this.#health = health;
  }

  static async start(options: DeviceProcessesOptions): Promise<DeviceProcesses> {
    const devices = options.plan.devices.length;
    const processes = Math.max(1, Math.min(options.processes, devices));
    const total = fleetShardCount(options.processes, options.workersPerProcess, devices);
    const health: { failure?: Error | undefined } = {};
    const hosts: Host[] = [];
    const readies: Promise<void>[] = [];
    for (let p = 0; p < processes; p += 1) {
      const ids = Array.from({ length: total }, (_, s) => s).filter((s) => s % processes === p);
      const credentials: Record<string, FactoryCredentials> = {};
      for (const device of options.plan.devices) {
        const c = options.credentials[device.id];
        if (c && (device.index % total) % processes === p) credentials[device.id] = c;
      }
      // Not the parent's flags (a test runner's loaders, say): only what CERTFLEET_DEVICE_NODE_ARGS asks for, such as
      // "--cpu-prof --cpu-prof-dir=prof" to profile the devices (Node refuses --cpu-prof in NODE_OPTIONS).
      const execArgv = (process.env.CERTFLEET_DEVICE_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
      const child = fork(compiledScript('workers/device-process.js'), [], { serialization: 'advanced', execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      // Who failed, as the user needs to know it: which process, and how much of the fleet went with it.
      const held = Object.keys(credentials).length;
      const name = `device process ${p} (pid ${child.pid ?? 'unknown'}, ${held} of ${devices} device${devices === 1 ? '' : 's'})`;
      let exited = (): void => undefined;
      const host: Host = { child, stopped: new Promise<void>((resolve) => (exited = resolve)) };
      let stopping = false;
      readies.push(
        new Promise<void>((resolve, reject) => {
          const fail = (error: Error) => {
            health.failure ??= error;
            host.pending?.reject(error);
            host.pending = undefined;
            reject(error);
          };
          child.on('message', (message: FromDeviceProcess) => {
            switch (message.type) {
              case 'ready':
                resolve();
                break;
              case 'advanced':
                host.pending?.resolve(message);
                host.pending = undefined;
                break;
              case 'events':
                options.onEvents(message.events);
                break;
              case 'stats':
                options.onStats(message);
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
            if (!stopping) fail(new Error(`${name} exited unexpectedly: ${signal ? `killed by ${signal}` : `exit code ${code}`}`));
          });
          child.on('error', (error: NodeJS.ErrnoException) => {
            // A message sent to a process that is dying: its exit, which follows, says what happened.
            if (error.code === 'EPIPE' || error.code === 'ERR_IPC_CHANNEL_CLOSED') return;
            fail(new Error(`${name}: ${error.message}`));
          });
        }),
      );
      // The readiness promise may reject after start (a crash mid-run): that failure reaches the run through advance.
      readies.at(-1)?.catch(() => undefined);
      send(child, {
        type: 'start',
        plan: options.plan,
        pki: options.pki,
        credentials,
        broker: options.broker,
        shards: { ids, total },
        options: options.shardOptions,
      });
      hosts.push(host);
    }
    const self = new DeviceProcesses(hosts, options.plan.scenario.fleet.cohorts.length, health);
    try {
      await Promise.all(readies);
    } catch (error) {
      self.destroy();
      throw error;
    }
    return self;
  }

  /** The operating-system ids of the device processes (for measurements of their CPU and memory). */
  processIds(): number[] {
    return this.#hosts.flatMap((host) => (host.child.pid === undefined ? [] : [host.child.pid]));
  }

  async advance(epoch: number, from: number, to: number, notices: { sessionsDropped?: SessionsDropped } = {}): Promise<{ nextDueAt: number; status: StatusCounts[] }> {
    if (this.#health.failure) throw this.#health.failure;
    const done = await Promise.all(
      this.#hosts.map(
        (host) =>
          new Promise<Advanced>((resolve, reject) => {
            host.pending = { resolve, reject };
            send(host.child, { type: 'advance', epoch, from, to, sessionsDropped: notices.sessionsDropped });
          }),
      ),
    );
    return mergeEpochResults(this.#cohorts, done);
  }

  /** Every process disconnects its devices and sends final statistics, then exits (or is killed after 30 s). */
  async stop(): Promise<void> {
    for (const host of this.#hosts) send(host.child, { type: 'stop' });
    const giveUp = new Promise<void>((resolve) => setTimeout(resolve, 30_000).unref());
    await Promise.race([Promise.all(this.#hosts.map((h) => h.stopped)), giveUp]);
    this.destroy();
  }

  destroy(): void {
    for (const host of this.#hosts) {
      if (host.child.exitCode === null && host.child.signalCode === null) host.child.kill('SIGKILL');
    }
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
