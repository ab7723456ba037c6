import type { FromAgent, ToAgent } from '../../sim/redis/agent-keys.js';
import type { FromDeviceProcess, ToDeviceProcess } from '../protocol.js';
import { ShardPool } from '../shard-pool.js';

interface HostedSlot {
  pool?: ShardPool | undefined;
  /** Its messages are handled one after another, as a device process handles its own. */
  queue: Promise<void>;
}

export interface AgentSlotsOptions {
  agent: string;
  reply: (envelope: FromAgent<FromDeviceProcess>) => void;
  /** The coordinator said the run ended; every slot has stopped. */
  onEnd: () => void;
  /** A process-kill fault on a device this agent hosts: the agent dies at once. */
  onKill: () => void;
}

/**
 * The slots an agent hosts for its coordinator: for each, a ShardPool of device workers driven by the device-process
 * protocol, exactly as workers/device-process.ts drives one for a local coordinator. A slot handed over from a lost
 * agent comes as a new generation; its replies carry it, so the coordinator tells them from those of the lost agent.
 */
export class AgentSlots {
  readonly #options: AgentSlotsOptions;
  readonly #hosted = new Map<string, HostedSlot>();
  #served = false;

  constructor(options: AgentSlotsOptions) {
    this.#options = options;
  }

  /** Whether the coordinator has sent anything yet: from then on the agent belongs to that run. */
  get served(): boolean {
    return this.#served;
  }

  handle(envelope: ToAgent<ToDeviceProcess>): void {
    this.#served = true;
    switch (envelope.kind) {
      case 'kill':
        this.#options.onKill();
        return;
      case 'end':
        void Promise.all([...this.#hosted.values()].map((h) => h.queue)).then(() => this.#options.onEnd());
        return;
      case 'slot':
        this.#slot(envelope.slot, envelope.generation, envelope.message);
        return;
    }
  }

  /** Ends every pool at once (Redis or the coordinator is gone: nobody would read their results). */
  async destroy(): Promise<void> {
    await Promise.all([...this.#hosted.values()].map((h) => h.pool?.destroy()));
  }

  #slot(slot: number, generation: number, message: ToDeviceProcess): void {
    const key = `${slot}/${generation}`;
    const hosted = this.#hosted.get(key) ?? { queue: Promise.resolve() };
    this.#hosted.set(key, hosted);
    const send = (reply: FromDeviceProcess) => this.#options.reply({ agent: this.#options.agent, slot, generation, message: reply });
    hosted.queue = hosted.queue
      .then(async () => {
        switch (message.type) {
          case 'start':
            hosted.pool = await ShardPool.start({
              plan: message.plan,
              pki: message.pki,
              credentials: message.credentials,
              // Passed on as the coordinator gave it: the address its broker reports to devices on other hosts.
              broker: message.broker,
              shards: message.shards,
              shardOptions: message.options,
              bootAt: message.bootAt,
              onEvents: (events) => send({ type: 'events', events }),
              onStats: (stats) => send(stats),
            });
            send({ type: 'ready', devices: Object.keys(message.credentials).length });
            break;
          case 'advance': {
            if (!hosted.pool) throw new Error('advance before start');
            const result = await hosted.pool.advance(message.epoch, message.from, message.to, { sessionsDropped: message.sessionsDropped });
            send({ type: 'advanced', epoch: message.epoch, ...result });
            break;
          }
          case 'stop':
            await hosted.pool?.stop();
            hosted.pool = undefined;
            send({ type: 'stopped' });
            break;
        }
      })
      .catch((error: Error) => send({ type: 'failed', message: error.message }));
  }
}
