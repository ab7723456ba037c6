import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BackoffKind } from './backoff.js';
import { compilePolicyModule, IMPORT_BUDGETS, type PolicyModuleSettings } from './policy-module.js';
import { PolicyModuleError } from './policy-module-error.js';

/** What the throwaway worker needs: the compiled module, the cohort's settings and one device to ask for. */
export interface ProbeTask extends PolicyModuleSettings {
  compiled: string;
  retry: { policy: BackoffKind; initial: number; max: number };
  deviceId: string;
  seed: number;
  certificate: { notBefore: number; notAfter: number };
}

export type ProbeMessage =
  | { type: 'importing' }
  | { type: 'imported' }
  | { type: 'answered'; renewAt: number; retryDelay: number }
  | { type: 'failed'; detail: string };

export interface ProbeAnswer {
  /** The device-clock time renewAt gave for the probe certificate. */
  renewAt: number;
  /** The delay retryDelay (or the cohort's own backoff) gave after a first failure. */
  retryDelay: number;
}

/** Ctrl-C while a module was being checked: nothing was run. */
export class PolicyProbeInterrupted extends Error {
  constructor() {
    super('interrupted while checking the renewal policy modules');
    this.name = 'PolicyProbeInterrupted';
  }
}

/** The worker's heap limit: a module that allocates without end fails the check instead of the process. */
const PROBE_HEAP_MB = 256;
/** Starting a worker on a busy machine; not the module's time. */
const WORKER_START_MS = 30_000;

/**
 * Loads a module in a throwaway worker with a wall-clock budget (import: ten call budgets; then the factory, renewAt
 * and retryDelay, each within the call budget, watched inside the worker by the same guard as in a run, and from here
 * as a backstop), and asks it for one device's renewal. The worker is terminated when it overruns, so a module that
 * loops at import costs its budget, never a hang. Throws PolicyModuleError, or PolicyProbeInterrupted on `signal`.
 */
export async function probePolicyModule(request: Omit<ProbeTask, 'compiled'>, signal?: AbortSignal): Promise<ProbeAnswer> {
  const { source, budgetMs } = request;
  const compiled = await compilePolicyModule(source);
  if (signal?.aborted) throw new PolicyProbeInterrupted();
  const task: ProbeTask = { ...request, compiled };
  const worker = new Worker(probeWorkerScript(), { workerData: task, resourceLimits: { maxOldGenerationSizeMb: PROBE_HEAP_MB } });
  return new Promise<ProbeAnswer>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (outcome: { answer: ProbeAnswer } | { error: Error }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      if ('answer' in outcome) resolve(outcome.answer);
      else reject(outcome.error);
    };
    const fail = (detail: string) => finish({ error: new PolicyModuleError(source, detail) });
    const deadline = (ms: number, detail: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => fail(detail), ms);
    };
    const onAbort = () => finish({ error: new PolicyProbeInterrupted() });
    signal?.addEventListener('abort', onAbort);
    deadline(WORKER_START_MS, `could not be checked: its worker did not start within ${WORKER_START_MS} ms`);
    const importMs = IMPORT_BUDGETS * budgetMs;
    worker.on('message', (message: ProbeMessage) => {
      switch (message.type) {
        case 'importing':
          deadline(importMs, `did not finish importing within ${importMs} ms (ten times renewal.budget)`);
          break;
        case 'imported':
          // The factory, renewAt and retryDelay each have the budget inside the worker; this is the backstop.
          deadline(3 * budgetMs + 1_000, `the factory, renewAt and retryDelay did not return within ${3 * budgetMs} ms together (renewal.budget each)`);
          break;
        case 'answered':
          finish({ answer: { renewAt: message.renewAt, retryDelay: message.retryDelay } });
          break;
        case 'failed':
          fail(message.detail);
          break;
      }
    });
    worker.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') fail(`ran out of memory (more than ${PROBE_HEAP_MB} MB) while loading`);
      else fail(`threw outside any call (a timer or a promise of its own): ${error.name}: ${error.message.split('\n')[0] ?? ''}`);
    });
    worker.on('exit', (code) => fail(`ended its thread (exit code ${code}) before answering`));
  });
}

/** Compiled beside this file when running from dist/; tests running the TypeScript sources use the build in dist/. */
function probeWorkerScript(): string {
  const beside = fileURLToPath(new URL('./policy-probe-worker.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = fileURLToPath(new URL('../../dist/sim/policy/policy-probe-worker.js', import.meta.url));
  if (existsSync(built)) return built;
  throw new Error(`sim/policy/policy-probe-worker.js is not built: run "npm run build" (looked for ${beside} and ${built})`);
}
