import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import { addInstanceStats, noInstanceStats, type FromBrokerInstance, type InstanceStats, type ToBrokerInstance } from './instance-protocol.js';

type Start = Extract<ToBrokerInstance, { type: 'start' }>;
type Admit = Extract<FromBrokerInstance, { type: 'admit' }>;
type Closed = Extract<FromBrokerInstance, { type: 'closed' }>;
type Done = Extract<FromBrokerInstance, { type: 'done' }>;
/** A request the instance answers with `done`; the id is added here. */
type Request = { type: 'epoch'; from: number; to: number } | { type: 'close'; connections: number[] | 'all' } | { type: 'stop' };

/** Wall-clock guard for an instance to start listening: a broker on this host starts in well under a second. */
const START_TIMEOUT_MS = 30_000;

export interface InstanceHandlers {
  admit(instance: number, message: Admit): void;
  closed(instance: number, message: Closed): void;
  events(events: FleetEvent[]): void;
  /** The process died when it was not asked to stop (a SIGKILL, a crash). */
  died(instance: number, reason: string): void;
  /** The instance cannot go on (Redis is gone). */
  failed(instance: number, message: string): void;
}

/**
 * The coordinator's handle on one broker instance process: starts it (again on the same port after it died), sends
 * it the coordinator's messages, and pairs its answers with the requests.
 */
export class InstanceHost {
  readonly index: number;
  readonly #handlers: InstanceHandlers;
  #start: Start;
  #child: ChildProcess;
  #port = 0;
  #nextRequest = 0;
  readonly #pending = new Map<number, (done: Done | undefined) => void>();
  #stopping = false;
  /** What earlier processes of this instance counted before they died. */
  #retired: InstanceStats = noInstanceStats();
  #latest: InstanceStats = noInstanceStats();
  /** Process ids of this instance, in order (the last is the live one). */
  readonly pids: number[] = [];

  private constructor(index: number, start: Start, handlers: InstanceHandlers) {
    this.index = index;
    this.#start = start;
    this.#handlers = handlers;
    this.#child = this.#fork();
  }

  /** Starts the instance's process and resolves once it listens. */
  static async launch(start: Start, handlers: InstanceHandlers): Promise<InstanceHost> {
    const host = new InstanceHost(start.instance, start, handlers);
    await host.#ready();
    return host;
  }

  get port(): number {
    return this.#port;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  send(message: ToBrokerInstance): void {
    if (this.#child.connected) this.#child.send(message, (error) => error && undefined);
  }

  /** Sends a request; resolves with the answer, or undefined when the process died first. */
  request(message: Request): Promise<Done | undefined> {
    const request = this.#nextRequest++;
    return new Promise((resolve) => {
      this.#pending.set(request, resolve);
      if (this.#child.connected) this.#child.send({ ...message, request }, (error) => error && this.#answer(request, undefined));
      else this.#answer(request, undefined);
    });
  }

  /** Everything this instance counted, over all its processes. */
  stats(): InstanceStats {
    return { ...addInstanceStats(this.#retired, this.#latest), connected: this.#latest.connected };
  }

  /** Starts a new process for this instance, listening on the same port, after the last one died. */
  async restart(): Promise<void> {
    this.#retired = { ...this.stats(), connected: 0 };
    this.#latest = noInstanceStats();
    this.#start = { ...this.#start, port: this.#port };
    this.#child = this.#fork();
    await this.#ready();
  }

  /** Stops the process (its final counts kept); resolves once it has exited. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const done = await Promise.race([this.request({ type: 'stop' }), exited.then(() => undefined)]);
    if (done) this.#latest = done.stats;
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  #fork(): ChildProcess {
    const child = fork(compiledScript('broker/instances/broker-instance-process.js'), [], {
      serialization: 'advanced',
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    if (child.pid !== undefined) this.pids.push(child.pid);
    child.on('message', (message: FromBrokerInstance) => this.#receive(message));
    child.on('error', () => undefined);
    child.once('exit', (code, signal) => {
      for (const request of [...this.#pending.keys()]) this.#answer(request, undefined);
      if (this.#stopping || child !== this.#child) return;
      this.#handlers.died(this.index, `broker instance ${this.index} (pid ${child.pid ?? 'unknown'}) ${signal ? `was killed by ${signal}` : `exited with code ${code ?? 'unknown'}`}`);
    });
    child.send(this.#start);
    return child;
  }

  #ready(): Promise<void> {
    const child = this.#child;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`broker instance ${this.index} did not start listening within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      const fail = (error: Error) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        reject(error);
      };
      const onMessage = (message: FromBrokerInstance) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
          this.#port = message.port;
          resolve();
        } else if (message.type === 'failed') fail(new Error(`broker instance ${this.index}: ${message.message}`));
      };
      const onExit = () => fail(new Error(`broker instance ${this.index} (pid ${child.pid ?? 'unknown'}) exited before it listened`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  }

  #receive(message: FromBrokerInstance): void {
    switch (message.type) {
      case 'admit':
        this.#handlers.admit(this.index, message);
        break;
      case 'closed':
        this.#handlers.closed(this.index, message);
        break;
      case 'events':
        this.#handlers.events(message.events);
        break;
      case 'done':
        this.#latest = message.stats;
        this.#answer(message.request, message);
        break;
      case 'stats':
        this.#latest = message.stats;
        break;
      case 'failed':
        this.#handlers.failed(this.index, message.message);
        break;
      case 'ready':
        break;
    }
  }

  #answer(request: number, done: Done | undefined): void {
    const resolve = this.#pending.get(request);
    this.#pending.delete(request);
    resolve?.(done);
  }
}

/** The compiled instance entry: beside this module when running from dist/, else the build in dist/. */
function compiledScript(path: string): string {
  const beside = fileURLToPath(new URL(`../../${path}`, import.meta.url));
  if (existsSync(beside)) return beside;
  const built = fileURLToPath(new URL(`../../dist/${path}`, import.meta.url));
  if (existsSync(built)) return built;
  throw new Error(`${path} is not built: run "npm run build" (looked for ${beside} and ${built})`);
}
