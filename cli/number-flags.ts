import { MAX_DEVICES, MAX_SEED } from '../sim/scenario/schema.js';

/**
 * Bounds of the numeric flags of `certfleet run`, each with why it is there (said in the error): what the harness
 * can carry on one machine, not a guess at what a user wants.
 */
export const FLAG_BOUNDS = {
  devices: { min: 1, max: MAX_DEVICES, why: 'every device runs in this machine\'s memory with its own keys, certificates and TLS session' },
  seed: { min: 0, max: MAX_SEED, why: 'the largest whole number a JSON number holds exactly, so the manifest reads back the same seed' },
  workers: { min: 1, max: 256, why: 'each worker thread holds its own copy of the fleet plan' },
  'device-processes': { min: 1, max: 64, why: 'each process holds its own worker threads and copy of the fleet plan' },
  concurrency: { min: 1, max: MAX_DEVICES, why: 'at most every device of the fleet acts at once' },
  'broker-instances': { min: 1, max: 64, why: 'each instance is a broker process with its own listener' },
  agents: { min: 1, max: 1_000, why: 'each agent gets its own inbox stream and heartbeat, checked every quarter second' },
  index: { min: 0, max: 1_000_000, why: 'an agent\'s place, such as a Kubernetes Indexed Job\'s completion index' },
  'metrics-port': { min: 0, max: 65_535, why: 'a TCP port; 0 picks a free one' },
  port: { min: 0, max: 65_535, why: 'a TCP port; 0 picks a free one' },
} as const;

export type NumericFlag = keyof typeof FLAG_BOUNDS;

/**
 * The problem with a numeric flag's value as yargs parsed it, or undefined when it is a whole number within its
 * bounds (or not given). yargs gives NaN for text and a list for a flag given twice.
 */
export function numericFlagProblem(flag: NumericFlag, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const { min, max, why } = FLAG_BOUNDS[flag];
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max) return undefined;
  return `--${flag}: expected a whole number from ${min} to ${max.toLocaleString('en-US')} (${why}), got ${describeFlagValue(value)}`;
}

function describeFlagValue(value: unknown): string {
  if (Array.isArray(value)) return `${value.length} values (${value.map(String).join(', ')}): give it once`;
  if (typeof value === 'number' && Number.isNaN(value)) return 'something that is not a number';
  if (typeof value === 'number' && !Number.isSafeInteger(value) && Number.isInteger(value)) {
    return `${String(value)}, beyond the whole numbers a double holds exactly`;
  }
  return String(value);
}
