import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { agentKeys, AGENT_HEARTBEAT_TTL_MS, HEARTBEAT_EVERY_MS, runKeys, type AgentRegistration, type ToAgent } from '../../sim/redis/agent-keys.js';
import { connectRedis } from '../../sim/redis/connect-redis.js';
import { appendToStream, StreamReader } from '../../sim/redis/redis-stream.js';
import { parseRedisUrl } from '../../sim/redis/redis-url.js';
import type { ToDeviceProcess } from '../protocol.js';
import { AgentSlots } from './agent-slots.js';

export interface AgentOptions {
  /** The --redis URL. */
  url: string;
  name: string;
  index?: number | undefined;
  /** Device worker threads per slot it hosts, offered to the coordinator. */
  workers: number;
  /** How long it waits for a coordinator to claim it. */
  waitMs: number;
  /** A process-kill fault on one of its devices: the caller kills the process at once. */
  onKill: () => void;
  onStage?: ((stage: string) => void) | undefined;
}

/** The agent could not serve a run to its end: who it is, and what went wrong. */
export class AgentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentError';
  }
}

/**
 * One agent's life (`certfleet agent`): it registers with a heartbeat, waits to be claimed by exactly one coordinator,
 * hosts the slots that coordinator sends over its inbox stream, and resolves when the run ends. It rejects when it
 * cannot: Redis unreachable or gone for a few seconds (RedisUnavailableError), no coordinator in time, its name
 * taken, or its coordinator gone mid-run (AgentError). Either way its devices end with it.
 */
export async function runAgent(options: AgentOptions): Promise<void> {
  const address = parseRedisUrl(options.url);
  const { name } = options;
  let finish: (error?: Error) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    finish = (error) => (error ? reject(error) : resolve());
  });
  const role = `agent ${name}`;
  const redis = await connectRedis(address, { role, onGone: (error) => finish(error) });
  let reader: Redis | undefined;
  let inbox: StreamReader | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let waiting: NodeJS.Timeout | undefined;
  const keys = agentKeys(name);
  const registration: AgentRegistration = { name, host: hostname(), pid: process.pid, index: options.index, workers: options.workers };
  let runId: string | undefined;
  let ended = false;
  const slots = new AgentSlots({
    agent: name,
    reply: (envelope) => {
      if (runId) appendToStream(redis, runKeys(runId).replies, envelope).catch(() => undefined);
    },
    onEnd: () => {
      ended = true;
      finish();
    },
    onKill: options.onKill,
  });
  try {
    reader = await connectRedis(address, { role, onGone: (error) => finish(error) });
    await register(redis, keys.alive, JSON.stringify(registration), options.url);
    options.onStage?.(`registered as ${name} at ${options.url}; waiting up to ${Math.round(options.waitMs / 1000)} s for a coordinator`);
    const claimedBy = (id: string) => {
      runId = id;
      // A read that fails because Redis went away is told by the connection (onGone) within seconds; any other
      // failure ends the agent after that long.
      const readFailed = (error: Error) => setTimeout(() => finish(new AgentError(`agent ${name}: reading its inbox failed: ${error.message}`)), 5_000).unref();
      inbox = new StreamReader(reader as Redis, runKeys(id).inbox(name), (m) => slots.handle(m as ToAgent<ToDeviceProcess>), readFailed);
      clearTimeout(waiting);
      options.onStage?.(`claimed by run ${id}`);
    };
    const beat = async () => {
      await redis.set(keys.alive, JSON.stringify(registration), 'PX', AGENT_HEARTBEAT_TTL_MS);
      const claim = await redis.get(keys.claim);
      if (runId === undefined && claim !== null) claimedBy(claim);
      else if (runId !== undefined && claim !== runId && !ended) {
        if (slots.served) finish(new AgentError(`agent ${name}: the coordinator of run ${runId} let go of it before the run ended (the coordinator stopped or lost Redis)`));
        else {
          // Claimed by a coordinator that gave up waiting for its other agents: free again for the next one.
          inbox?.stop();
          runId = undefined;
          options.onStage?.('released before the run started; waiting for a coordinator again');
        }
      }
    };
    heartbeat = setInterval(() => void beat().catch(() => undefined), HEARTBEAT_EVERY_MS);
    void beat().catch(() => undefined);
    waiting = setTimeout(() => {
      if (runId === undefined) finish(new AgentError(`agent ${name}: no coordinator claimed it within ${Math.round(options.waitMs / 1000)} s (run "certfleet run <scenario> --redis ${options.url} --agents N")`));
    }, options.waitMs);
    await finished;
    if (runId) await redis.del(runKeys(runId).inbox(name)).catch(() => undefined);
    await redis.del(keys.alive).catch(() => undefined);
  } finally {
    clearInterval(heartbeat);
    clearTimeout(waiting);
    inbox?.stop();
    await slots.destroy();
    redis.disconnect();
    reader?.disconnect();
  }
}

/** Registers the heartbeat under a name nobody holds; a name held by an agent that just died frees up within its TTL. */
async function register(redis: Redis, key: string, registration: string, url: string): Promise<void> {
  const deadline = Date.now() + AGENT_HEARTBEAT_TTL_MS + HEARTBEAT_EVERY_MS;
  while ((await redis.set(key, registration, 'PX', AGENT_HEARTBEAT_TTL_MS, 'NX')) !== 'OK') {
    if (Date.now() > deadline) throw new AgentError(`agent ${JSON.parse(registration).name as string}: another agent with this name is registered at ${url}; give each agent its own --name or --index`);
    await sleep(250);
  }
}
