/**
 * Runs the embedded broker in a child process, optionally under a file descriptor limit set with util-linux
 * `prlimit --nofile`, and talks to it over IPC. The child's entry (broker-process-main.ts) is bundled from the
 * sources with esbuild, as certfleet bundles policy modules, so the test runs the code it reads.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { BrokerConfig } from '../../broker/broker-config.js';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import type { BrokerStats } from '../../sim/stats/broker-stats.js';
import { ROOT } from './cli.js';

type FromChild = { kind: 'ready'; port: number } | { kind: 'stats'; stats: BrokerStats } | { kind: 'event'; event: FleetEvent };

export interface BrokerProcess {
  readonly port: number;
  readonly child: ChildProcess;
  /** The connection-cut events received so far. */
  readonly events: FleetEvent[];
  stats(): Promise<BrokerStats>;
  /** Null while the process runs. */
  exitCode(): number | null;
  close(): Promise<void>;
}

async function bundle(): Promise<string> {
  // Inside the repository (dist/ is the build output) so the bundle's imports resolve to its node_modules.
  const outfile = join(ROOT, 'dist', 'test-support', 'broker-process-main.mjs');
  await build({
    entryPoints: [join(ROOT, 'test', 'support', 'broker-process-main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  return outfile;
}

/** The broker in its own process, with the epoch [from, to) open (the true times its clients may claim). */
export async function startBrokerProcess(config: BrokerConfig, options: { epoch: [number, number]; maxOpenFiles?: number }): Promise<BrokerProcess> {
  const script = await bundle();
  const command = options.maxOpenFiles === undefined ? [process.execPath, script] : ['prlimit', `--nofile=${options.maxOpenFiles}:${options.maxOpenFiles}`, process.execPath, script];
  const [file, ...args] = command as [string, ...string[]];
  const child = spawn(file, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  const events: FleetEvent[] = [];
  const waiting: ((stats: BrokerStats) => void)[] = [];
  let exitCode: number | null = null;
  child.on('exit', (code, signal) => {
    exitCode = code ?? (signal ? 128 : 1);
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the broker process exited (${code}) before it listened`)));
    child.on('message', (message: FromChild) => {
      if (message.kind === 'ready') resolve(message.port);
      if (message.kind === 'event') events.push(message.event);
      if (message.kind === 'stats') waiting.shift()?.(message.stats);
    });
    child.send({ config, epoch: options.epoch });
  });
  return {
    port,
    child,
    events,
    stats: () =>
      new Promise((resolve, reject) => {
        if (exitCode !== null) reject(new Error(`the broker process exited (${exitCode})`));
        waiting.push(resolve);
        child.send('stats');
      }),
    exitCode: () => exitCode,
    async close() {
      if (exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
