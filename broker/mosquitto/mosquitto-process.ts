import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { MosquittoPrograms } from './mosquitto-programs.js';

/** Mosquitto did not start, or stopped without being asked to: carries the last lines it logged. */
export class MosquittoFailure extends Error {
  constructor(message: string, log: readonly string[]) {
    super(`${message}${log.length > 0 ? `; its last log lines:\n  ${log.join('\n  ')}` : ''}`);
    this.name = 'MosquittoFailure';
  }
}

/** Harness guards in wall time: a broker on loopback starts, reloads and stops in milliseconds. */
const START_TIMEOUT_MS = 10_000;
const RELOAD_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;
const LOG_LINES_KEPT = 40;

/**
 * One Mosquitto process under libfaketime. `FAKETIME_TIMESTAMP_FILE` with `FAKETIME_NO_CACHE=1` makes libfaketime
 * read the file on every time() call, so a rewrite moves the clock OpenSSL judges the next handshake at;
 * `FAKETIME_DONT_FAKE_MONOTONIC=1` leaves CLOCK_MONOTONIC alone, which Mosquitto's keepalive and timers use (a frozen
 * monotonic clock would time held sessions out or never). TZ=UTC because libfaketime reads the file's
 * "YYYY-MM-DD hh:mm:ss" as local time.
 */
export class MosquittoProcess {
  readonly version: string;
  readonly #child: ChildProcess;
  readonly #log: string[];
  readonly #lineWaiters: { pattern: RegExp; resolve: () => void }[];
  #stopping = false;

  private constructor(child: ChildProcess, version: string, log: string[], lineWaiters: { pattern: RegExp; resolve: () => void }[]) {
    this.#child = child;
    this.version = version;
    this.#log = log;
    this.#lineWaiters = lineWaiters;
  }

  /** Starts Mosquitto with `configFile`; resolves once it logs that it is running (its listener is bound by then). */
  static start(programs: MosquittoPrograms, configFile: string, clockFile: string, onExit: (failure: MosquittoFailure) => void): Promise<MosquittoProcess> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TZ: 'UTC',
      LD_PRELOAD: programs.libfaketime,
      FAKETIME_TIMESTAMP_FILE: clockFile,
      FAKETIME_NO_CACHE: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    };
    // libfaketime prefers FAKETIME to the timestamp file: one inherited from the caller would pin the clock.
    delete env['FAKETIME'];
    const child = spawn(programs.mosquitto, ['-c', configFile], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const log: string[] = [];
    const lineWaiters: { pattern: RegExp; resolve: () => void }[] = [];
    return new Promise((resolve, reject) => {
      let started: MosquittoProcess | undefined;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new MosquittoFailure(`mosquitto did not start within ${START_TIMEOUT_MS} ms`, log));
      }, START_TIMEOUT_MS);
      const lines = createInterface({ input: child.stderr as NodeJS.ReadableStream });
      lines.on('line', (line) => {
        log.push(line);
        if (log.length > LOG_LINES_KEPT) log.shift();
        for (let i = lineWaiters.length - 1; i >= 0; i -= 1) {
          const waiter = lineWaiters[i];
          if (waiter && waiter.pattern.test(line)) {
            lineWaiters.splice(i, 1);
            waiter.resolve();
          }
        }
        const running = /mosquitto version (\S+) running/.exec(line);
        if (running && !started) {
          clearTimeout(timer);
          started = new MosquittoProcess(child, running[1] ?? 'unknown', log, lineWaiters);
          resolve(started);
        }
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new MosquittoFailure(`mosquitto could not be started: ${error.message}`, log));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        const failure = new MosquittoFailure(`mosquitto exited (${signal ?? `code ${String(code)}`})`, log);
        if (!started) reject(failure);
        else if (!started.#stopping) onExit(failure);
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** The last lines Mosquitto logged. */
  logTail(): readonly string[] {
    return [...this.#log];
  }

  /**
   * SIGHUP (mosquitto(8)); resolves once Mosquitto has logged "Reloading config.": it reloads in one pass of its
   * single-threaded loop, so it handles no new handshake before the reload is done.
   */
  async reload(): Promise<void> {
    const reloaded = this.#waitForLine(/Reloading config\./, RELOAD_TIMEOUT_MS, 'reload its configuration');
    this.#child.kill('SIGHUP');
    await reloaded;
  }

  /** SIGTERM, then SIGKILL if it has not exited after a grace period. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.kill('SIGTERM');
    const grace = setTimeout(() => this.#child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(grace);
  }

  #waitForLine(pattern: RegExp, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new MosquittoFailure(`mosquitto did not ${what} within ${timeoutMs} ms`, this.#log)), timeoutMs);
      this.#lineWaiters.push({
        pattern,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}
