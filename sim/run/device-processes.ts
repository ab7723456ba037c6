import type { DeviceHostingOptions } from '../../workers/shard-pool.js';
import { DeviceSlots, type DeviceRestart } from './device-slots.js';
import { ForkLauncher } from './fork-launcher.js';

export type { DeviceRestart } from './device-slots.js';

/** What to do when a device process dies mid-run: end the run with a partial result, or start a new process. */
export type OnDeviceCrash = 'stop' | 'restart';

export interface DeviceProcessesOptions extends DeviceHostingOptions {
  /** Child processes hosting devices (at least 1). */
  processes: number;
  /** Device worker threads in each process. */
  workersPerProcess: number;
  /** Default 'stop'. */
  onCrash?: OnDeviceCrash | undefined;
  onRestart?: ((restart: DeviceRestart) => void) | undefined;
}

/**
 * The fleet's devices in child processes, apart from the broker. Shards are numbered over the whole fleet (device i
 * on shard i mod S, S = processes x workers) and shard s lives in process s mod P, the way agents on other machines
 * hold them (sim/run/agents/). Each process runs a ShardPool of device workers and relays the coordinator's epochs.
 */
export const DeviceProcesses = {
  async start(options: DeviceProcessesOptions): Promise<DeviceSlots> {
    const devices = options.plan.devices.length;
    return DeviceSlots.start(
      {
        ...options,
        slots: Math.max(1, Math.min(options.processes, devices)),
        shards: fleetShardCount(options.processes, options.workersPerProcess, devices),
        replace: options.onCrash === 'restart',
      },
      new ForkLauncher(devices),
    );
  },
};

/** How many shards a fleet of `devices` has over these processes and workers (never more shards than devices). */
export function fleetShardCount(processes: number, workersPerProcess: number, devices: number): number {
  const p = Math.max(1, Math.min(processes, devices));
  return Math.max(p, Math.min(p * Math.max(1, workersPerProcess), devices));
}
