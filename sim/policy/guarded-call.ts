import { types } from 'node:util';
import { createContext, Script } from 'node:vm';

/**
 * Calls into a team's renewal module with a wall-clock budget. A synchronous loop cannot be interrupted from its own
 * thread by a timer, so each call runs under V8's watchdog: Node's `vm` `timeout` terminates whatever JavaScript runs
 * during the script, including functions created in another context (the module's), and turns it into an exception.
 *
 * Cost: Node starts a watchdog thread per call: 75 us on a quiet 2-core machine, 150 us on a loaded one, against
 * under 1 us for the bare call.
 * A device calls its module once per certificate (renewAt) and once per failed rotation (retryDelay), and each of
 * those goes with a TLS reconnect and a CSR (milliseconds of CPU), so the guard costs a few percent of a module run
 * and nothing for cohorts without a module. A cheaper guard (a flag in shared memory watched from another thread,
 * which then terminates the whole worker) would need the worker pool to know about modules; this one stays here.
 */
export type GuardedOutcome<T> = { kind: 'returned'; value: T } | { kind: 'threw'; error: unknown } | { kind: 'overran' };

// One context for every call in this thread: only `call` lives in it, set for the duration of one call.
const sandbox: { call: (() => unknown) | undefined } = { call: undefined };
createContext(sandbox);
const invoke = new Script('call()', { filename: 'certfleet-renewal-module-call' });

export function guardedCall<T>(fn: () => T, budgetMs: number): GuardedOutcome<T> {
  sandbox.call = fn;
  try {
    return { kind: 'returned', value: invoke.runInContext(sandbox, { timeout: Math.max(1, Math.ceil(budgetMs)) }) as T };
  } catch (error) {
    if (isTimeout(error)) return { kind: 'overran' };
    return { kind: 'threw', error };
  } finally {
    sandbox.call = undefined;
  }
}

/**
 * The watchdog's error. It is made in the sandbox's realm (so not `instanceof Error` here), and it is read without
 * running any getter a module could have put on something it threw.
 */
function isTimeout(error: unknown): boolean {
  return types.isNativeError(error) && Object.getOwnPropertyDescriptor(error, 'code')?.value === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
}

/**
 * What a module gave back, in a few words, without running any of its code (no toString, no getters): "NaN",
 * "the string \"soon\"", "a Promise", "an object".
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'number':
      return String(value);
    case 'string':
      return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
    case 'undefined':
      return 'undefined';
    case 'bigint':
      return `the bigint ${value}n`;
    case 'boolean':
      return String(value);
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default:
      if (value === null) return 'null';
      if (types.isPromise(value)) return 'a Promise (renewal functions must be synchronous)';
      // Native checks only: a Proxy's traps are not run.
      return Array.isArray(value) ? 'an array' : 'an object';
  }
}

/** What a module threw, on one line: "TypeError: x is not a function". Reading it is itself guarded. */
export function describeThrown(error: unknown, budgetMs: number): string {
  const described = guardedCall(() => {
    // isNativeError, not instanceof: what a module throws may come from another realm.
    if (types.isNativeError(error)) return `${error.name}: ${error.message}`;
    return typeof error === 'string' ? error : describeValue(error);
  }, budgetMs);
  const text = described.kind === 'returned' && typeof described.value === 'string' ? described.value : 'a value that cannot be printed';
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}
