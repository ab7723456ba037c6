/**
 * A real Redis server (Debian's redis-server) started for a bench or a test: on a free port of 127.0.0.1, or of an
 * address of a test's own network namespace; no persistence, its files in a temporary folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalRedis {
  url: string;
  host: string;
  port: number;
  process: ChildProcess;
  /** Ends it with the stop signal; resolves when it has exited. */
  stop(): Promise<void>;
}

export interface LocalRedisOptions {
  /** The address it binds (default 127.0.0.1). */
  host?: string;
  /** A command that runs it elsewhere, such as ['ip', 'netns', 'exec', 'cf-hub']. */
  prefix?: readonly string[];
  /** A port to bind (default: a free port of 127.0.0.1, found by binding it). */
  port?: number;
  /** How stop() ends it: SIGKILL (default: Redis gone, as a crash or a lost host) or SIGTERM (a clean end). */
  stopSignal?: 'SIGKILL' | 'SIGTERM';
}

export async function startRedisServer(options: LocalRedisOptions = {}): Promise<LocalRedis> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freeLoopbackPort());
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-redis-'));
  const args = ['--port', String(port), '--bind', host, '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no'];
  const [command, ...prefixArgs] = [...(options.prefix ?? []), 'redis-server'];
  const child = spawn(command ?? 'redis-server', [...prefixArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // No redis-server on the PATH: said in the error below, not thrown as an unhandled 'error' event.
  child.once('error', (error) => (output += `${error.message} (is Debian's redis-server installed?)`));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await answersPing(host, port, options.prefix))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`redis-server did not start on ${host}:${port}: ${output.trim().split('\n').slice(-3).join(' / ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `redis://${host.includes(':') ? `[${host}]` : host}:${port}`,
    host,
    port,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill(options.stopSignal ?? 'SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port nobody listens on now on 127.0.0.1 (the kernel's pick for port 0). */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Whether a server answers PING with +PONG (in a namespace: through redis-cli run there). */
async function answersPing(host: string, port: number, prefix: readonly string[] | undefined): Promise<boolean> {
  if (prefix && prefix.length > 0) {
    const [command, ...args] = [...prefix, 'redis-cli', '-h', host, '-p', String(port), 'PING'];
    const child = spawn(command ?? 'redis-cli', args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await new Promise((resolve) => child.once('exit', resolve));
    return out.trim() === 'PONG';
  }
  return new Promise<boolean>((resolve) => {
    const socket = new Socket();
    let answer = '';
    socket.once('error', () => resolve(false));
    socket.connect(port, host, () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) {
        socket.destroy();
        resolve(answer.startsWith('+PONG'));
      }
    });
  });
}
