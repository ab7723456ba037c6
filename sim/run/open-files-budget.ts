import { readFileSync } from 'node:fs';
import { UserInputError } from '../input/user-input-error.js';

/** Files a process holds besides its devices' sockets: Node itself, worker threads, IPC pipes, the backend's link. */
export const OTHER_OPEN_FILES = 500;

/** A placement whose processes cannot hold the fleet's sockets: refused before anything runs (exit 2). */
export class OpenFilesError extends UserInputError {
  constructor(problems: readonly string[]) {
    super('placement', problems);
    this.name = 'OpenFilesError';
  }
}

/** The most open files this process may hold (its soft RLIMIT_NOFILE, `ulimit -n`), from Linux's /proc; undefined elsewhere or unlimited. */
export function openFilesLimit(): number | undefined {
  try {
    const limit = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
    return limit === undefined ? undefined : Number(limit);
  } catch {
    return undefined;
  }
}

/** How many devices one process can keep connected under an open-files limit: one socket each. */
export function devicesPerProcess(limit: number | undefined): number {
  return limit === undefined ? Infinity : Math.max(1, limit - OTHER_OPEN_FILES);
}

export interface LocalPlacement {
  devices: number;
  /** Device processes on this host (the devices of agents are not here). */
  deviceProcesses?: number | undefined;
  /** Broker processes on this host that hold device sessions (0 when the broker is not certfleet's). */
  brokerProcesses?: number | undefined;
  /** The open-files limit every process started here inherits. */
  limit: number | undefined;
}

/**
 * Every connected device is a socket in a device process and one in a broker process, and a process may hold only
 * so many open files (20,000 on the machines we measure on, a hard limit): a placement that puts more devices in one
 * process would end in a storm of refused connects (EMFILE) that the results would blame on the scenario. One line
 * per side that cannot hold its share, naming the flag and the count that would.
 */
export function openFilesProblems(placement: LocalPlacement): string[] {
  const most = devicesPerProcess(placement.limit);
  if (!Number.isFinite(most)) return [];
  const problems: string[] = [];
  const side = (processes: number | undefined, what: string, use: (n: number) => string) => {
    if (processes === undefined || processes < 1) return;
    const each = Math.ceil(placement.devices / processes);
    if (each <= most) return;
    const needed = Math.ceil(placement.devices / most);
    problems.push(
      `${placement.devices} devices over ${processes} ${what}${processes === 1 ? '' : 'es'} is ${each} per process, more than the ${most} one process can hold (open files limit ${placement.limit}, ${OTHER_OPEN_FILES} kept for the rest): use ${use(needed)}`,
    );
  };
  side(placement.deviceProcesses, 'device process', (n) => `--workers ${n} --device-processes ${n} or more`);
  side(placement.brokerProcesses, 'broker process', (n) => `--broker-instances ${n} or more (with --redis)`);
  return problems;
}

/** Refuses a local placement that cannot hold the fleet's sockets (OpenFilesError, exit 2). */
export function checkOpenFiles(placement: LocalPlacement): void {
  const problems = openFilesProblems(placement);
  if (problems.length > 0) throw new OpenFilesError(problems);
}
