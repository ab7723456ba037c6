import type { Redis } from 'ioredis';
import { runKeys, RUN_KEYS_TTL_S, type FromAgent, type ToAgent } from '../../redis/agent-keys.js';
import { appendToStream, StreamReader } from '../../redis/redis-stream.js';
import type { FromDeviceProcess, ToDeviceProcess } from '../../../workers/protocol.js';
import type { HostLauncher, HostListener, LaunchedHost, SlotPlace } from '../host-launcher.js';
import type { AgentRoster, JoinedAgent } from './agent-roster.js';

interface HostedSlot {
  agent: JoinedAgent;
  slot: number;
  name: string;
  listener: HostListener;
}

/**
 * Hosts slots on agents joined through Redis: the device-process protocol (ToDeviceProcess / FromDeviceProcess)
 * carried over Redis Streams, one inbox stream per agent and one stream for every agent's replies. Slot s goes to
 * the agent of slot s; a replacement goes to the surviving agent holding the fewest slots.
 */
export class AgentLauncher implements HostLauncher {
  readonly #redis: Redis;
  readonly #reader: StreamReader;
  readonly #roster: AgentRoster;
  readonly #devices: number;
  readonly #keys: ReturnType<typeof runKeys>;
  /** The slots each agent hosts now, by "slot/generation": replies of earlier generations are not theirs. */
  readonly #hosted = new Map<string, HostedSlot>();
  #gone: Error | undefined;

  constructor(options: { redis: Redis; reader: Redis; roster: AgentRoster; devices: number }) {
    this.#redis = options.redis;
    this.#roster = options.roster;
    this.#devices = options.devices;
    this.#keys = runKeys(options.roster.runId);
    this.#reader = new StreamReader(options.reader, this.#keys.replies, (m) => this.#reply(m as FromAgent<FromDeviceProcess>), () => undefined);
    options.roster.watch((agent, why) => this.#lose(agent, why));
  }

  launch(slot: SlotPlace, listener: HostListener): LaunchedHost {
    if (this.#gone) throw this.#gone;
    const agent = slot.generation === 0 ? this.#roster.agents[slot.index] : this.#survivorWithFewestSlots();
    if (!agent) throw new Error('no agent left to take its devices (every agent of the run is lost)');
    const shards = `shard${slot.ids.length === 1 ? '' : 's'} ${slot.ids.join(', ')}`;
    const name = `agent ${agent.name} (host ${agent.host}, pid ${agent.pid}; slot ${slot.index}: ${shards}, ${slot.held} of ${this.#devices} device${this.#devices === 1 ? '' : 's'})`;
    const key = `${slot.index}/${slot.generation}`;
    this.#hosted.set(key, { agent, slot: slot.index, name, listener });
    const inbox = this.#keys.inbox(agent.name);
    const post = (message: ToAgent<ToDeviceProcess>) => {
      // A message Redis does not take: losing Redis is told once, by the connection (redisGone).
      appendToStream(this.#redis, inbox, message).catch(() => undefined);
    };
    return {
      name,
      send: (message) => {
        post({ kind: 'slot', slot: slot.index, generation: slot.generation, message });
        // The stream exists once written to; a coordinator that dies without cleaning up leaves it to expire.
        if (message.type === 'start') void this.#redis.expire(inbox, RUN_KEYS_TTL_S).catch(() => undefined);
      },
      kill: () => post({ kind: 'kill' }),
      destroy: () => this.#hosted.delete(key),
    };
  }

  /** The slots on the same agent as this one: a process-kill fault on that agent ends them all. */
  sharedFate(slot: number): number[] {
    const agent = [...this.#hosted.values()].find((h) => h.slot === slot)?.agent.name;
    return [...new Set([...this.#hosted.values()].filter((h) => h.agent.name === agent).map((h) => h.slot))];
  }

  /** Which slots each agent hosts now (for the run's records). */
  hosting(): Map<string, number[]> {
    const byAgent = new Map<string, number[]>();
    for (const h of this.#hosted.values()) byAgent.set(h.agent.name, [...(byAgent.get(h.agent.name) ?? []), h.slot]);
    return byAgent;
  }

  /** Redis is gone: no slot can be served or replaced, so every host ends and the run with them. */
  redisGone(error: Error): void {
    this.#gone ??= error;
    for (const [key, hosted] of this.#hosted) {
      this.#hosted.delete(key);
      hosted.listener.exit(`${hosted.name}: ${error.message}`, false);
    }
  }

  /** Every slot has stopped: the replies are no longer read (the run tells the agents it ended: AgentRun.end). */
  async close(): Promise<void> {
    this.#reader.stop();
  }

  #reply(envelope: FromAgent<FromDeviceProcess>): void {
    this.#hosted.get(`${envelope.slot}/${envelope.generation}`)?.listener.message(envelope.message);
  }

  /** An agent's heartbeat expired: each slot it hosted ends, named with the agent, its shards and devices. */
  #lose(agent: JoinedAgent, why: string): void {
    for (const [key, hosted] of this.#hosted) {
      if (hosted.agent.name !== agent.name) continue;
      this.#hosted.delete(key);
      hosted.listener.exit(`${hosted.name} lost: ${why}`, true);
    }
  }

  #survivorWithFewestSlots(): JoinedAgent | undefined {
    const load = (a: JoinedAgent) => [...this.#hosted.values()].filter((h) => h.agent.name === a.name).length;
    const alive = this.#roster.agents.filter((a) => !this.#roster.isLost(a.name));
    return alive.sort((a, b) => load(a) - load(b) || a.slot - b.slot)[0];
  }
}
