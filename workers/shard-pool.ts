import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { FleetEvent } from '../sim/events/fleet-event.js';
import type { FleetPlan, SessionsDropped } from '../sim/plan/fleet-plan.js';
import type { ScenarioPki } from '../sim/scenario-pki/build-scenario-pki.js';
import type { FactoryCredentials } from '../sim/scenario-pki/device-factory.js';
import { mergeEpochResults, type StatusCounts } from '../sim/stats/fleet-counters.js';
import type { BrokerAddress, CoordinatorMessage, ShardAssignment, ShardMessage, ShardOptions, ShardTask } from './protocol.js';

/** What any host of devices (a pool of workers, a set of device processes) needs, and where it reports. */
export interface DeviceHostingOptions {
  plan: FleetPlan;
  pki: ScenarioPki;
  credentials: Record<string, FactoryCredentials>;
  broker: BrokerAddress;
  shardOptions: ShardOptions;
  onEvents: (events: FleetEvent[]) => void;
  onStats: (message: Extract<ShardMessage, { type: 'stats' }>) => void;
}

export interface ShardPoolOptions extends DeviceHostingOptions {
  /** The shards this pool serves, one worker each, and how many shards the whole fleet has (device i on i mod total). */
  shards: ShardAssignment;
  /** When the devices power on (default: the timeline's start). */
  bootAt?: number | undefined;
}

interface Shard {
  port: MessagePort;
  task: Promise<void>;
  /** Resolves when the shard's final statistics (sent after its last events, on the same port) have arrived. */
  finalStats: Promise<void>;
  pending?: { resolve: (m: Extract<ShardMessage, { type: 'epoch-done' }>) => void; reject: (e: Error) => void } | undefined;
}

/**
 * The device workers: long-lived piscina workers, each serving one shard of the fleet (device i on shard i mod N).
 * `atomics: 'disabled'` keeps each worker's event loop running between tasks (piscina's default Atomics.wait would
 * freeze its sockets), and a fixed thread count with no idle timeout keeps the threads alive for the whole run.
 */
export class ShardPool {
  readonly #pool: Piscina;
  readonly #shards: Shard[];
  readonly #cohorts: number;
  /** Set by a worker that reports a failure; every later advance rejects with it. */
  readonly #health: { failure?: Error | undefined };

  private constructor(pool: Piscina, shards: Shard[], cohorts: number, health: { failure?: Error | undefined }) {
    this.#pool = pool;
    this.#shards = shards;
    this.#cohorts = cohorts;
    this.#health = health;
  }

  static async start(options: ShardPoolOptions): Promise<ShardPool> {
    const workers = options.shards.ids.length;
    const pool = new Piscina({
      filename: workerScript(),
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: Number.POSITIVE_INFINITY,
      atomics: 'disabled',
      concurrentTasksPerWorker: 1,
    });
    const readies: Promise<void>[] = [];
    const shards: Shard[] = [];
    const health: { failure?: Error | undefined } = {};
    for (const shard of options.shards.ids) {
      const channel = new MessageChannel();
      const credentials: Record<string, FactoryCredentials> = {};
      for (const device of options.plan.devices) {
        if (device.index % options.shards.total !== shard) continue;
        const c = options.credentials[device.id];
        if (c) credentials[device.id] = c;
      }
      const task: ShardTask = {
        shard,
        shards: options.shards.total,
        plan: options.plan,
        pki: options.pki,
        credentials,
        broker: options.broker,
        options: options.shardOptions,
        bootAt: options.bootAt,
        port: channel.port2,
      };
      // Who failed, as the user needs to know it: which worker, and how much of the fleet went with it.
      const held = Object.keys(credentials).length;
      const name = `device worker ${shard} (${held} of ${options.plan.devices.length} device${options.plan.devices.length === 1 ? '' : 's'})`;
      let finalStatsArrived = () => undefined as void;
      let notReady = (_error: Error) => undefined as void;
      const entry: Shard = {
        port: channel.port1,
        task: Promise.resolve(),
        finalStats: new Promise<void>((resolve) => {
          finalStatsArrived = resolve;
        }),
      };
      readies.push(
        new Promise<void>((resolve, reject) => {
          notReady = reject;
          channel.port1.on('message', (message: ShardMessage) => {
            switch (message.type) {
              case 'ready':
                resolve();
                break;
              case 'epoch-done':
                entry.pending?.resolve(message);
                entry.pending = undefined;
                break;
              case 'events':
                options.onEvents(message.events);
                break;
              case 'stats':
                options.onStats(message);
                if (message.final) finalStatsArrived();
                break;
              case 'failed': {
                const error = new Error(`${name} failed: ${message.message}`);
                health.failure = error;
                entry.pending?.reject(error);
                entry.pending = undefined;
                reject(error);
                break;
              }
            }
          });
        }),
      );
      entry.task = pool.run(task, { transferList: [channel.port2] }).catch((cause: Error) => {
        // A worker that dies takes its shard with it; the run reports the failure instead of hanging.
        const error = new Error(`${name} died: ${cause.message}`);
        health.failure ??= error;
        notReady(error);
        entry.pending?.reject(error);
        entry.pending = undefined;
        finalStatsArrived();
      });
      shards.push(entry);
    }
    const self = new ShardPool(pool, shards, options.plan.scenario.fleet.cohorts.length, health);
    try {
      await Promise.all(readies);
    } catch (error) {
      await self.destroy();
      throw error;
    }
    return self;
  }

  /** Runs every shard through [from, to); resolves with the earliest next action and the summed status. */
  async advance(epoch: number, from: number, to: number, notices: { sessionsDropped?: SessionsDropped } = {}): Promise<{ nextDueAt: number; status: StatusCounts[]; offlineNotices: number }> {
    if (this.#health.failure) throw this.#health.failure;
    const done = await Promise.all(
      this.#shards.map(
        (shard) =>
          new Promise<Extract<ShardMessage, { type: 'epoch-done' }>>((resolve, reject) => {
            shard.pending = { resolve, reject };
            const message: CoordinatorMessage = { type: 'advance', epoch, from, to, sessionsDropped: notices.sessionsDropped };
            shard.port.postMessage(message);
          }),
      ),
    );
    return mergeEpochResults(this.#cohorts, done);
  }

  /** Asks every shard to disconnect its devices and send final statistics, then ends the workers. */
  async stop(): Promise<void> {
    for (const shard of this.#shards) {
      const message: CoordinatorMessage = { type: 'stop' };
      shard.port.postMessage(message);
    }
    await Promise.all(this.#shards.map((s) => s.task));
    // The task ends on piscina's channel, the statistics come on the shard's own port: wait for both (a shard
    // that never answers is given up on after a while rather than hanging the run).
    const giveUp = new Promise<void>((resolve) => setTimeout(resolve, 30_000).unref());
    await Promise.race([Promise.all(this.#shards.map((s) => s.finalStats)), giveUp]);
    await this.destroy();
  }

  async destroy(): Promise<void> {
    for (const shard of this.#shards) shard.port.close();
    await this.#pool.destroy().catch(() => undefined);
  }
}

/** The compiled worker entry; tests running from TypeScript sources use the build in dist/. */
function workerScript(): string {
  return compiledScript('workers/device-worker.js');
}

/** A compiled entry point under workers/: beside this module when running from dist/, else the build in dist/. */
export function compiledScript(path: string): string {
  const beside = fileURLToPath(new URL(`../${path}`, import.meta.url));
  if (existsSync(beside)) return beside;
  const built = fileURLToPath(new URL(`../dist/${path}`, import.meta.url));
  if (existsSync(built)) return built;
  throw new Error(`${path} is not built: run "npm run build" (looked for ${beside} and ${built})`);
}
