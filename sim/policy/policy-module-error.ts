/** Which module, for which cohort of the scenario: what every error about a module names. */
export interface PolicySource {
  /** The module's path (resolved against the scenario file). */
  file: string;
  cohortIndex: number;
  cohort: string;
}

/**
 * A team's renewal module that does not load, throws, returns nonsense or overruns its budget: bad input (exit 2),
 * not a failure of certfleet. The message is one line, "fleet.cohorts[0].renewal.module: renewal policy module
 * <file>: <what happened>", so it reads the same wherever it surfaces, even after crossing a worker or a process.
 */
export class PolicyModuleError extends Error {
  /** What happened, without the field and the file. */
  readonly detail: string;

  constructor(source: PolicySource, detail: string) {
    super(`${policyField(source.cohortIndex)}: renewal policy module ${source.file}: ${detail}`);
    this.name = 'PolicyModuleError';
    this.detail = detail;
    // Nothing in certfleet to trace, and the device workers forward `stack` when an epoch fails: keep it one line.
    this.stack = this.message;
  }
}

export function policyField(cohortIndex: number): string {
  return `fleet.cohorts[${cohortIndex}].renewal.module`;
}

const FAILURE = /fleet\.cohorts\[\d+\]\.renewal\.module: renewal policy module [^\n]*/;

/**
 * The module failure inside a failure message that came from a device worker ("device process 0 failed: device
 * worker 1 failed: fleet.cohorts[0].renewal.module: ..."), or undefined when the failure was something else.
 */
export function policyModuleFailureIn(message: string | undefined): string | undefined {
  return message === undefined ? undefined : FAILURE.exec(message)?.[0];
}
