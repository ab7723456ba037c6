/**
 * Keeps the machine's cores busy while a test runs, to show that an outcome does not depend on wall-clock timing:
 * one CPU-burning child process per core (plus one, so the run under test has to compete for every core).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';

export interface BusyMachine {
  /** How many burners are running. */
  readonly burners: number;
  /** Kills the burners (each by its own process) and waits until they have exited. */
  stop(): Promise<void>;
}

export function keepMachineBusy(burners = availableParallelism() + 1): BusyMachine {
  const children: ChildProcess[] = Array.from({ length: burners }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
  return {
    burners,
    async stop() {
      await Promise.all(
        children.map(async (child) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = once(child, 'exit');
          child.kill('SIGKILL');
          await exited;
        }),
      );
    },
  };
}
