/**
 * Device agents for a bench: `certfleet agent --redis URL --index i` processes on this machine, as a team would start
 * them on other hosts, each with one device worker thread. They exit once the run that claimed them ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { descendantProcesses } from './child-processes.js';

const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));

export interface BenchAgents {
  /** The agents' processes and everything below them. */
  pids(): number[];
  /** Waits for them to exit after their run ended; kills those still there after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export function startBenchAgents(redisUrl: string, agents: number): BenchAgents {
  const children: ChildProcess[] = [];
  for (let index = 0; index < agents; index += 1) {
    children.push(spawn(process.execPath, [CLI, 'agent', '--redis', redisUrl, '--index', String(index), '--workers', '1', '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] }));
  }
  const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;
  return {
    pids: () => children.flatMap((child) => (child.pid !== undefined && running(child) ? [child.pid, ...descendantProcesses(child.pid)] : [])),
    async stop(graceMs = 30_000) {
      const timer = setTimeout(() => children.filter(running).forEach((child) => child.kill('SIGKILL')), graceMs);
      await Promise.all(children.map((child) => (running(child) ? once(child, 'exit') : undefined)));
      clearTimeout(timer);
    },
  };
}
