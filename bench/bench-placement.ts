import { brokerConfigFrom } from '../broker/broker-config.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../broker/embedded-broker.js';
import { DeviceProcesses } from '../sim/run/device-processes.js';
import type { DeviceHostingOptions } from '../workers/shard-pool.js';
import type { BenchFleet } from './fleet-bench.js';

/**
 * Where a bench puts the broker and the devices, and what it can read of each side: the processes (for CPU, memory and
 * open files), the sessions the broker holds, and the coordinator's two levers (open an epoch, advance the devices).
 */
export interface BenchPlacement {
  /** One line for the JSON: who runs where. */
  description: string;
  brokerInstances: number;
  deviceHosts: number;
  brokerPids(): number[];
  devicePids(): number[];
  /** Sessions the broker side holds now, over all its instances. */
  brokerConnected(): number;
  setEpoch(from: number, to: number): void;
  advance: DeviceProcesses['advance'];
  stop(): Promise<void>;
}

export interface BenchPlacementOptions {
  fleet: BenchFleet;
  brokerInstances: number;
  /** Processes that host devices (device processes), one device worker thread each. */
  deviceHosts: number;
  concurrency: number;
  onStats: DeviceHostingOptions['onStats'];
}

/**
 * Today's placement: the embedded broker (Aedes + backend) in this process, the devices in `deviceHosts` child
 * processes (`--device-processes`). One broker process holds at most what its open-files limit allows.
 */
export async function startBenchPlacement(options: BenchPlacementOptions): Promise<BenchPlacement> {
  if (options.brokerInstances !== 1) throw new Error(`${options.brokerInstances} broker instances: this build runs one broker process (no --broker-instances)`);
  const { plan, pki, credentials } = options.fleet;
  const broker: EmbeddedBroker = await startEmbeddedBroker(brokerConfigFrom(plan.scenario, pki, 1), () => undefined);
  let fleet: DeviceProcesses;
  try {
    fleet = await DeviceProcesses.start({
      plan,
      pki,
      credentials,
      broker: { host: broker.host, port: broker.port },
      processes: options.deviceHosts,
      workersPerProcess: 1,
      shardOptions: { concurrency: options.concurrency, ordered: false, connectTimeoutMs: 120_000, rotationTimeoutMs: 120_000 },
      onEvents: () => undefined,
      onStats: options.onStats,
    });
  } catch (error) {
    await broker.close();
    throw error;
  }
  return {
    description: `embedded broker (Aedes + backend) in the bench process; devices in ${options.deviceHosts} device process${options.deviceHosts === 1 ? '' : 'es'}, one worker thread each`,
    brokerInstances: 1,
    deviceHosts: options.deviceHosts,
    brokerPids: () => [process.pid],
    devicePids: () => fleet.processIds(),
    brokerConnected: () => broker.stats().connected,
    setEpoch: (from, to) => broker.setEpoch(from, to),
    advance: (epoch, from, to, notices) => fleet.advance(epoch, from, to, notices),
    async stop() {
      await fleet.stop();
      await broker.close();
    },
  };
}
