import { randomUUID } from 'node:crypto';
import { brokerConfigFrom } from '../broker/broker-config.js';
import { startBrokerStack, type BrokerStack } from '../broker/broker-stack.js';
import { parseRedisUrl } from '../sim/redis/redis-url.js';
import { AgentRun } from '../sim/run/agents/agent-run.js';
import { DeviceProcesses } from '../sim/run/device-processes.js';
import type { DeviceSlots } from '../sim/run/device-slots.js';
import type { DeviceHostingOptions } from '../workers/shard-pool.js';
import { startBenchAgents, type BenchAgents } from './bench-agents.js';
import { startRedisServer, type LocalRedis } from './redis-server.js';
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
  advance: DeviceSlots['advance'];
  stop(): Promise<void>;
}

export interface BenchPlacementOptions {
  fleet: BenchFleet;
  brokerInstances: number;
  /** Processes that host devices, one device worker thread each: device processes, or agents. */
  deviceHosts: number;
  /** The device hosts are agents (`certfleet agent`) joined through Redis, not device processes of this one. */
  agents: boolean;
  concurrency: number;
  onStats: DeviceHostingOptions['onStats'];
}

/**
 * The embedded broker (one process: Aedes and the backend in this one; B instances: B processes joined through a
 * Redis server started for the bench, the registers and backend here), and the devices in `deviceHosts` device
 * processes (`--device-processes`) or agents (`certfleet agent`, through the same Redis); device i dials instance
 * i mod B.
 */
export async function startBenchPlacement(options: BenchPlacementOptions): Promise<BenchPlacement> {
  const { plan, pki, credentials } = options.fleet;
  let redis: LocalRedis | undefined;
  let broker: BrokerStack | undefined;
  let fleet: DeviceSlots | undefined;
  let agents: BenchAgents | undefined;
  let agentRun: AgentRun | undefined;
  try {
    const config = brokerConfigFrom(plan.scenario, pki, 1);
    if (options.brokerInstances > 1 || options.agents) redis = await startRedisServer({ stopSignal: 'SIGTERM' });
    if (options.agents && redis) {
      agents = startBenchAgents(redis.url, options.deviceHosts);
      agentRun = await AgentRun.join({ url: redis.url, agents: options.deviceHosts, waitMs: 60_000, plan, ordered: false });
    }
    if (options.brokerInstances > 1 && redis) {
      const instances = { instances: options.brokerInstances, redis: parseRedisUrl(redis.url, '--redis'), runId: randomUUID().replace(/-/g, '') };
      broker = await startBrokerStack(config, { target: 'embedded', instances }, () => undefined);
    } else {
      broker = await startBrokerStack(config, { target: 'embedded' }, () => undefined);
    }
    const live = broker;
    const hosting = {
      plan,
      pki,
      credentials,
      broker: { host: live.host, port: live.port, instances: live.instances?.addresses },
      shardOptions: { concurrency: options.concurrency, ordered: false, connectTimeoutMs: 120_000, rotationTimeoutMs: 120_000 },
      onEvents: () => undefined,
      onStats: options.onStats,
    };
    fleet = agentRun ? await agentRun.startFleet({ ...hosting, onLoss: 'stop' }) : await DeviceProcesses.start({ ...hosting, processes: options.deviceHosts, workersPerProcess: 1 });
    const devices = fleet;
    const hosts = agents;
    const run = agentRun;
    const redisPid = redis?.process.pid;
    const server = redis;
    const instances = options.brokerInstances;
    return {
      description: `${
        instances > 1
          ? `${instances} embedded broker instances (child processes: TLS, MQTT, topic policy) joined through one redis-server; registers, admission and backend in the bench process`
          : 'embedded broker (Aedes + backend) in the bench process'
      }; devices in ${options.deviceHosts} ${options.agents ? 'agent' : 'device process'}${options.deviceHosts === 1 ? '' : options.agents ? 's (certfleet agent, joined through the redis-server)' : 'es'}, one worker thread each`,
      brokerInstances: instances,
      deviceHosts: options.deviceHosts,
      brokerPids: () => [process.pid, ...childProcesses(process.pid, 'broker-instance-process'), ...(redisPid === undefined ? [] : [redisPid])],
      devicePids: () => hosts?.pids() ?? devices.processIds(),
      brokerConnected: () => live.stats().connected,
      setEpoch: (from, to) => live.setEpoch(from, to),
      advance: (epoch, from, to, notices) => devices.advance(epoch, from, to, notices),
      async stop() {
        await devices.stop();
        await run?.end();
        await hosts?.stop();
        await live.close();
        await server?.stop();
      },
    };
  } catch (error) {
    fleet?.destroy();
    await agentRun?.end();
    await agents?.stop(5_000);
    await broker?.close().catch(() => undefined);
    await redis?.stop();
    throw error;
  }
}
