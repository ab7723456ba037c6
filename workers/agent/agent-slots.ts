import type { FromAgent, ToAgent } from '../../sim/redis/agent-keys.js';
import type { FromDeviceProcess, ToDeviceProcess } from '../protocol.js';
import { checkBrokerReachable } from '../broker-reachability.js';
import { HostedShards } from '../hosted-shards.js';

interface HostedSlot {
  shards: HostedShards;
  /** Its last message handled: the run's end waits for every slot's. */
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
    await Promise.all([...this.#hosted.values()].map((h) => h.shards.destroy()));
  }

  #slot(slot: number, generation: number, message: ToDeviceProcess): void {
    const key = `${slot}/${generation}`;
    let hosted = this.#hosted.get(key);
    if (!hosted) {
      const send = (reply: FromDeviceProcess) => this.#options.reply({ agent: this.#options.agent, slot, generation, message: reply });
      // A broker this host cannot reach (the coordinator's loopback, a firewall): said at once, not per device.
      hosted = { shards: new HostedShards(send, (start) => checkBrokerReachable([start.broker, ...(start.broker.instances ?? [])])), queue: Promise.resolve() };
      this.#hosted.set(key, hosted);
    }
    hosted.queue = hosted.shards.handle(message);
  }
}
