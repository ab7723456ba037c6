import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { FleetPlan } from '../../plan/fleet-plan.js';
import { runKeys, type AgentRegistration, type ToAgent } from '../../redis/agent-keys.js';
import { connectRedis } from '../../redis/connect-redis.js';
import { appendToStream } from '../../redis/redis-stream.js';
import { parseRedisUrl } from '../../redis/redis-url.js';
import type { DeviceHostingOptions } from '../../../workers/shard-pool.js';
import { fleetShardCount } from '../device-processes.js';
import { DeviceSlots, type DeviceRestart } from '../device-slots.js';
import { AgentLauncher } from './agent-launcher.js';
import { AgentRoster } from './agent-roster.js';

/** What to do when an agent is lost mid-run: end the run with a partial result, or hand its slots to a survivor. */
export type OnAgentLoss = 'stop' | 'reassign';

export interface AgentRunOptions {
  /** The --redis URL. */
  url: string;
  agents: number;
  waitMs: number;
  plan: FleetPlan;
  /** One sequence of actions for the whole fleet: one shard, on the first agent. */
  ordered: boolean;
}

/** Which agent hosts what, as the manifest records it. */
export interface AgentPlacement {
  name: string;
  host: string;
  pid: number;
  index?: number | undefined;
  slot: number;
  shards: number[];
  devices: number;
}

/**
 * A run whose devices live on agents (`certfleet run --redis URL --agents N`): the coordinator's Redis connections,
 * the agents it claimed, how the fleet's shards fall on them, and the fleet once started.
 */
export class AgentRun {
  readonly roster: AgentRoster;
  /** Shards over the whole fleet, and the slots they fall in (shard s in slot s mod slots). */
  readonly shards: number;
  readonly slots: number;
  readonly #redis: Redis;
  readonly #reader: Redis;
  readonly #devices: FleetPlan['devices'];
  #launcher: AgentLauncher | undefined;
  #gone: Error | undefined;
  #ended = false;

  private constructor(redis: Redis, reader: Redis, roster: AgentRoster, options: AgentRunOptions) {
    this.#redis = redis;
    this.#reader = reader;
    this.roster = roster;
    this.#devices = options.plan.devices;
    ({ shards: this.shards, slots: this.slots } = placement(options, roster.agents));
  }

  /** Connects to Redis and waits for the agents (AgentsMissingError when they do not all come in time). */
  static async join(options: AgentRunOptions): Promise<AgentRun> {
    const address = parseRedisUrl(options.url);
    let run: AgentRun | undefined;
    let gone: Error | undefined;
    const onGone = (error: Error) => {
      gone ??= error;
      run?.redisGone(error);
    };
    const redis = await connectRedis(address, { role: 'the coordinator', onGone });
    const reader = await connectRedis(address, { role: 'the coordinator', onGone }).catch((error: unknown) => {
      redis.disconnect();
      throw error;
    });
    const devices = options.plan.devices;
    try {
      const roster = await AgentRoster.join({
        redis,
        runId: randomUUID(),
        wanted: options.agents,
        waitMs: options.waitMs,
        url: options.url,
        describeSlot: (slot, joined) => {
          const { shards, slots } = placement(options, joined);
          const ids = Array.from({ length: shards }, (_, s) => s).filter((s) => s % slots === slot);
          const held = devices.filter((d) => (d.index % shards) % slots === slot).length;
          return `${ids.length === 1 ? 'shard' : 'shards'} ${ids.join(', ') || 'none'}: ${held} of ${devices.length} devices`;
        },
      });
      run = new AgentRun(redis, reader, roster, options);
      if (gone) run.redisGone(gone);
      return run;
    } catch (error) {
      redis.disconnect();
      reader.disconnect();
      throw error;
    }
  }

  /** Which agent hosts which shards and how many devices, slot by slot (agents beyond the shards hold none). */
  placements(): AgentPlacement[] {
    return this.roster.agents.map((agent) => ({
      name: agent.name,
      host: agent.host,
      pid: agent.pid,
      ...(agent.index === undefined ? {} : { index: agent.index }),
      slot: agent.slot,
      shards: agent.slot < this.slots ? Array.from({ length: this.shards }, (_, s) => s).filter((s) => s % this.slots === agent.slot) : [],
      devices: agent.slot < this.slots ? this.#devices.filter((d) => (d.index % this.shards) % this.slots === agent.slot).length : 0,
    }));
  }

  /** Starts the fleet on the agents: each gets its slots' start message, then the epochs. */
  async startFleet(options: DeviceHostingOptions & { onLoss: OnAgentLoss; onRestart?: ((restart: DeviceRestart) => void) | undefined }): Promise<DeviceSlots> {
    if (this.#gone) throw this.#gone;
    this.#launcher = new AgentLauncher({ redis: this.#redis, reader: this.#reader, roster: this.roster, devices: this.#devices.length });
    return DeviceSlots.start({ ...options, slots: this.slots, shards: this.shards, replace: options.onLoss === 'reassign' }, this.#launcher);
  }

  /** Every agent is told the run ended (each exits 0 once its slots have stopped); the connections close. */
  async end(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    this.roster.stopWatching();
    if (!this.#gone) {
      const keys = runKeys(this.roster.runId);
      const end: ToAgent<never> = { kind: 'end' };
      await Promise.all(this.roster.agents.map((a) => appendToStream(this.#redis, keys.inbox(a.name), end))).catch(() => undefined);
      await this.#redis.del(keys.replies).catch(() => undefined);
    }
    this.#redis.disconnect();
    this.#reader.disconnect();
  }

  /** Redis is gone (told once by either connection): the fleet's hosts end, and the run with them. */
  redisGone(error: Error): void {
    this.#gone ??= error;
    this.#launcher?.redisGone(error);
  }
}

/** The fleet's shards over the agents' worker threads (the fewest any agent offers), and the slots they fill. */
function placement(options: AgentRunOptions, agents: readonly AgentRegistration[]): { shards: number; slots: number } {
  const workers = Math.max(1, Math.min(...agents.map((a) => a.workers), Number.MAX_SAFE_INTEGER));
  const shards = options.ordered ? 1 : fleetShardCount(options.agents, workers === Number.MAX_SAFE_INTEGER ? 1 : workers, options.plan.devices.length);
  return { shards, slots: Math.min(options.agents, shards) };
}
