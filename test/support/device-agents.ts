/**
 * Device agents for a test: real `certfleet agent` processes (dist/cli/main.js) on this machine, registered with a
 * test's Redis, each with its own --index (agent-<index>), as a Kubernetes Indexed Job would start them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, ROOT } from './cli.js';

export interface DeviceAgent {
  name: string;
  child: ChildProcess;
  /** Everything it wrote on stderr so far. */
  stderr(): string;
  /** Resolves when it has exited: its exit code (null when killed) and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface DeviceAgents {
  agents: DeviceAgent[];
  /** SIGKILLs every agent still running and waits for each to exit. */
  stop(): Promise<void>;
}

/** Starts `count` agents (indexes from `firstIndex`) and resolves once each says it registered. */
export async function startDeviceAgents(url: string, count: number, options: { firstIndex?: number; args?: string[] } = {}): Promise<DeviceAgents> {
  const agents = Array.from({ length: count }, (_, i) => startAgent(url, (options.firstIndex ?? 0) + i, options.args ?? []));
  const registered = agents.map(
    (agent) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (agent.stderr().includes(`registered as ${agent.name}`)) resolve();
        };
        agent.child.stderr?.on('data', check);
        check();
        void agent.exited.then(() => reject(new Error(`${agent.name} exited before it registered: ${agent.stderr()}`)));
      }),
  );
  await Promise.all(registered);
  return {
    agents,
    async stop() {
      for (const { child } of agents) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await Promise.all(agents.map((a) => a.exited));
    },
  };
}

function startAgent(url: string, index: number, args: string[]): DeviceAgent {
  const child = spawn(process.execPath, [CLI, 'agent', '--redis', url, '--index', String(index), '--workers', '2', ...args], { cwd: ROOT });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { name: `agent-${index}`, child, stderr: () => stderr, exited };
}
