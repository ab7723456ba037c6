import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { agentKeys, agentNameOf, ALIVE_PATTERN, CLAIM_TTL_MS, PREPARING_CLAIM_TTL_MS, type AgentRegistration } from '../../redis/agent-keys.js';
import { UserInputError } from '../../input/user-input-error.js';

/** An agent this run claimed, and the slot it holds (its place in index, then name, order). */
export interface JoinedAgent extends AgentRegistration {
  slot: number;
}

/** How often the coordinator looks for agents while it waits, and checks their heartbeats during the run. */
const LOOK_EVERY_MS = 250;

/** Fewer agents than --agents joined in time: which did, and which slots (shards, devices) have nobody. */
export class AgentsMissingError extends UserInputError {
  constructor(problem: string) {
    super('--agents', [problem]);
    this.name = 'AgentsMissingError';
  }
}

export interface JoinOptions {
  redis: Redis;
  runId: string;
  wanted: number;
  waitMs: number;
  /** What a slot nobody took would have held ("shards 1, 3: 20 of 40 devices"), for the timeout's message. */
  describeSlot: (slot: number, joined: readonly AgentRegistration[]) => string;
  /** The Redis URL, for the message that says how to start the missing agents. */
  url: string;
  /** Ctrl-C while waiting: the claims are released and nothing runs. */
  signal?: AbortSignal | undefined;
}

/** Interrupted (Ctrl-C) while waiting for the agents: nothing was run. */
export class AgentWaitInterrupted extends Error {
  constructor(joined: number, wanted: number) {
    super(`interrupted while waiting for the agents (${joined} of ${wanted} had joined)`);
    this.name = 'AgentWaitInterrupted';
  }
}

/**
 * The agents of one run. An agent registers itself with a heartbeat key that lives a few seconds unless refreshed;
 * the coordinator claims agents with SET NX on their claim key (so each serves exactly one coordinator), refreshes
 * its claims while the run goes on, and notices an agent whose heartbeat expired.
 */
export class AgentRoster {
  readonly agents: JoinedAgent[];
  readonly #redis: Redis;
  readonly #runId: string;
  #timer: NodeJS.Timeout | undefined;
  readonly #lost = new Set<string>();
  /** How long each refresh keeps the claims: long while the coordinator prepares, CLAIM_TTL_MS once the run runs. */
  claimTtlMs = PREPARING_CLAIM_TTL_MS;
  /** Told of an agent whose heartbeat expired (once per agent). */
  onLost: (agent: JoinedAgent, why: string) => void = () => undefined;

  private constructor(redis: Redis, runId: string, agents: JoinedAgent[]) {
    this.#redis = redis;
    this.#runId = runId;
    this.agents = agents;
    this.#watch();
  }

  /** Claims `wanted` registered agents, waiting at most `waitMs` for them; claims are held from then on. */
  static async join(options: JoinOptions): Promise<AgentRoster> {
    const { redis, runId, wanted } = options;
    const claimed = new Map<string, AgentRegistration>();
    const deadline = Date.now() + options.waitMs;
    for (;;) {
      // Agents that stopped beating while we waited are let go of: another may take their place.
      for (const [name, registration] of await heartbeats(redis, [...claimed.keys()])) {
        if (registration) await redis.pexpire(agentKeys(name).claim, CLAIM_TTL_MS);
        else {
          claimed.delete(name);
          await releaseClaim(redis, name, runId);
        }
      }
      for (const name of claimed.size < wanted ? await registeredAgents(redis) : []) {
        if (claimed.size >= wanted || claimed.has(name)) continue;
        if ((await redis.set(agentKeys(name).claim, runId, 'PX', CLAIM_TTL_MS, 'NX')) !== 'OK') continue;
        const registration = (await heartbeats(redis, [name])).get(name);
        if (registration) claimed.set(name, registration);
        else await releaseClaim(redis, name, runId);
      }
      if (claimed.size >= wanted) break;
      if (options.signal?.aborted) {
        for (const name of claimed.keys()) await releaseClaim(redis, name, runId);
        throw new AgentWaitInterrupted(claimed.size, wanted);
      }
      if (Date.now() >= deadline) {
        for (const name of claimed.keys()) await releaseClaim(redis, name, runId);
        throw new AgentsMissingError(missingMessage(options, [...claimed.values()]));
      }
      await sleep(LOOK_EVERY_MS);
    }
    // Held for the preparation before the caller goes on: building the PKI and manufacturing the devices block this
    // thread for minutes on a large fleet, so no refresh could run, and a claim let expire would send an agent back
    // to waiting (it reads a missing claim as a coordinator that gave up) while its start message sat in its inbox.
    for (const name of claimed.keys()) await redis.pexpire(agentKeys(name).claim, PREPARING_CLAIM_TTL_MS);
    return new AgentRoster(redis, runId, inSlotOrder([...claimed.values()]));
  }

  /**
   * Refreshes the claims and checks the heartbeats until stopped; an agent whose heartbeat expired is told once
   * (onLost). A check Redis could not answer is no verdict on the agents: losing Redis is told by the connection.
   */
  #watch(): void {
    const tick = async () => {
      const beats = await heartbeats(this.#redis, this.agents.map((a) => a.name));
      for (const agent of this.agents) {
        if (this.#lost.has(agent.name)) continue;
        if (beats.get(agent.name)) await this.#redis.pexpire(agentKeys(agent.name).claim, this.claimTtlMs);
        else {
          this.#lost.add(agent.name);
          this.onLost(agent, 'its heartbeat stopped (the agent died, or lost Redis)');
        }
      }
    };
    void tick().catch(() => undefined);
    this.#timer = setInterval(() => void tick().catch(() => undefined), LOOK_EVERY_MS);
  }

  /** Whether the agent's heartbeat has expired. */
  isLost(name: string): boolean {
    return this.#lost.has(name);
  }

  /** Stops watching; the claims expire by themselves, after the agents have read the run's end. */
  stopWatching(): void {
    clearInterval(this.#timer);
  }

  get runId(): string {
    return this.#runId;
  }
}

/** The names of all registered agents (their heartbeat keys). */
async function registeredAgents(redis: Redis): Promise<string[]> {
  const names: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', ALIVE_PATTERN, 'COUNT', 1000);
    cursor = next;
    names.push(...keys.map(agentNameOf));
  } while (cursor !== '0');
  return names.sort();
}

/** Each agent's registration, or undefined when its heartbeat has expired. */
async function heartbeats(redis: Redis, names: readonly string[]): Promise<Map<string, AgentRegistration | undefined>> {
  if (names.length === 0) return new Map();
  const values = await redis.mget(names.map((n) => agentKeys(n).alive));
  return new Map(names.map((name, i) => [name, parseRegistration(values[i])]));
}

function parseRegistration(value: string | null | undefined): AgentRegistration | undefined {
  if (!value) return undefined;
  try {
    return JSON.parse(value) as AgentRegistration;
  } catch {
    return undefined;
  }
}

/** Deletes our claim on an agent, and only ours (a claim another coordinator has since taken stays). */
async function releaseClaim(redis: Redis, name: string, runId: string): Promise<void> {
  const key = agentKeys(name).claim;
  await redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, key, runId);
}

/** Slots in the order of the agents' --index (a Kubernetes completion index), then of their names. */
function inSlotOrder(agents: AgentRegistration[]): JoinedAgent[] {
  const order = (a: AgentRegistration) => a.index ?? Number.MAX_SAFE_INTEGER;
  return [...agents].sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name)).map((a, slot) => ({ ...a, slot }));
}

function missingMessage(options: JoinOptions, joined: AgentRegistration[]): string {
  const ordered = inSlotOrder(joined);
  const missing = Array.from({ length: options.wanted - joined.length }, (_, i) => joined.length + i);
  const seconds = `${Math.round(options.waitMs / 100) / 10} s`;
  const who = ordered.length === 0 ? 'none joined' : `joined: ${ordered.map((a) => `${a.name} (host ${a.host}, pid ${a.pid})`).join(', ')}`;
  const slots = missing.map((slot) => `slot ${slot} (${options.describeSlot(slot, joined)})`).join(', ');
  return (
    `${joined.length} of ${options.wanted} agents joined within ${seconds} (${who}); missing ${missing.length}: ${slots}; ` +
    `start them with "certfleet agent --redis ${options.url}", or wait longer with --agent-wait`
  );
}
