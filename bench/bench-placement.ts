import { randomUUID } from 'node:crypto';
import { brokerConfigFrom } from '../broker/broker-config.js';
import { startBrokerStack, type BrokerStack } from '../broker/broker-stack.js';
import { parseRedisUrl } from '../sim/redis/redis-url.js';
import { DeviceProcesses } from '../sim/run/device-processes.js';
import type { DeviceHostingOptions } from '../workers/shard-pool.js';
import { startBenchRedis, type BenchRedis } from './bench-redis.js';
import { childProcesses } from './child-processes.js';
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
  /** The broker's side: this process (registers, backend, and Aedes itself with one instance), instances, Redis. */
  brokerPids(): number[];
  devicePids(): number[];
  /** Sessions the broker side holds now, over all its instances. */
  brokerConnected(): number;
  setEpoch(from: number, to: number): Promise<void>;
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
 * The embedded broker (one process: Aedes and the backend in this one; B instances: B processes joined through a
 * Redis server started for the bench, the registers and backend here), and the devices in `deviceHosts` device
 * processes (`--device-processes`); device i dials instance i mod B.
 */
export async function startBenchPlacement(options: BenchPlacementOptions): Promise<BenchPlacement> {
  const { plan, pki, credentials } = options.fleet;
  let redis: BenchRedis | undefined;
  let broker: BrokerStack | undefined;
  let fleet: DeviceProcesses | undefined;
  try {
    const config = brokerConfigFrom(plan.scenario, pki, 1);
    if (options.brokerInstances > 1) {
      redis = await startBenchRedis();
      const instances = { instances: options.brokerInstances, redis: parseRedisUrl(redis.url, '--redis'), runId: randomUUID().replace(/-/g, '') };
      broker = await startBrokerStack(config, { target: 'embedded', instances }, () => undefined);
    } else {
      broker = await startBrokerStack(config, { target: 'embedded' }, () => undefined);
    }
    const live = broker;
    fleet = await DeviceProcesses.start({
      plan,
      pki,
      credentials,
      broker: { host: live.host, port: live.port, instances: live.instances?.addresses },
      processes: options.deviceHosts,
      workersPerProcess: 1,
      shardOptions: { concurrency: options.concurrency, ordered: false, connectTimeoutMs: 120_000, rotationTimeoutMs: 120_000 },
      onEvents: () => undefined,
      onStats: options.onStats,
    });
    const devices = fleet;
    const redisPid = redis?.pid;
    const server = redis;
    const instances = options.brokerInstances;
    return {
      description:
        instances > 1
          ? `${instances} embedded broker instances (child processes: TLS, MQTT, topic policy) joined through one redis-server; registers, admission and backend in the bench process; devices in ${options.deviceHosts} device processes, one worker thread each`
          : `embedded broker (Aedes + backend) in the bench process; devices in ${options.deviceHosts} device process${options.deviceHosts === 1 ? '' : 'es'}, one worker thread each`,
      brokerInstances: instances,
      deviceHosts: options.deviceHosts,
      brokerPids: () => [process.pid, ...childProcesses(process.pid, 'broker-instance-process'), ...(redisPid === undefined ? [] : [redisPid])],
      devicePids: () => devices.processIds(),
      brokerConnected: () => live.stats().connected,
      setEpoch: (from, to) => live.setEpoch(from, to),
      advance: (epoch, from, to, notices) => devices.advance(epoch, from, to, notices),
      async stop() {
        await devices.stop();
        await live.close();
        await server?.stop();
      },
    };
  } catch (error) {
    fleet?.destroy();
    await broker?.close().catch(() => undefined);
    await redis?.stop();
    throw error;
  }
}
