/**
 * A throwaway worker that loads one renewal module and asks it once, so that no module code runs in certfleet's main
 * thread (where the broker lives) and a module that never finishes importing can be ended by terminating this worker.
 * It says when it starts importing, when the import is done, and what the module answered (policy-probe.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SeededRandom } from '../random/seeded-random.js';
import { importPolicyFactory, userRenewalPolicy } from './policy-module.js';
import { PolicyModuleError } from './policy-module-error.js';
import type { ProbeMessage, ProbeTask } from './policy-probe.js';

const task = workerData as ProbeTask;
const post = (message: ProbeMessage) => parentPort?.postMessage(message);

async function probe(): Promise<void> {
  post({ type: 'importing' });
  const factory = await importPolicyFactory(task.compiled, task.source);
  post({ type: 'imported' });
  const forDevice = userRenewalPolicy(factory, { source: task.source, options: task.options, budgetMs: task.budgetMs, retry: task.retry });
  const policy = forDevice(task.deviceId);
  const random = new SeededRandom(task.seed, task.deviceId);
  const renewAt = policy.renewAt(task.certificate, random);
  const retryDelay = policy.retryDelay(1, random);
  post({ type: 'answered', renewAt, retryDelay });
}

probe().catch((error: unknown) => {
  post({ type: 'failed', detail: error instanceof PolicyModuleError ? error.detail : `could not be checked: ${(error as Error).message}` });
});
