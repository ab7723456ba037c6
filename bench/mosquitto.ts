import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ScenarioPki } from '../sim/scenario-pki/build-scenario-pki.js';

export interface RunningMosquitto {
  host: string;
  port: number;
  pid: number;
  version: string;
  stop(): Promise<void>;
}

/** The Mosquitto binary from Debian's package, if installed. */
export function findMosquitto(): string | undefined {
  for (const candidate of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', 'mosquitto']) {
    const probe = spawnSync(candidate, ['-h'], { encoding: 'utf8' });
    if (!probe.error) return candidate;
  }
  return undefined;
}

/**
 * Starts Mosquitto on loopback with mutual TLS: the bench PKI's server certificate, client certificates required
 * (`require_certificate true`) and checked by OpenSSL under the device root at the host clock, so the fleet given to
 * it must hold certificates valid today.
 */
export async function startMosquitto(binary: string, pki: ScenarioPki): Promise<RunningMosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-mosquitto-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const port = await freePort();
  const config = file(
    'mosquitto.conf',
    [
      `listener ${port} 127.0.0.1`,
      `cafile ${file('device-root.pem', pki.certificates['device-root'] ?? '')}`,
      `certfile ${file('server.pem', (pki.certificates.broker ?? '') + (pki.certificates['server-ca'] ?? ''))}`,
      `keyfile ${file('server.key', pki.serverKeys.broker ?? '')}`,
      'require_certificate true',
      'allow_anonymous true',
      'persistence false',
      'max_connections -1',
      // Run as whoever runs the bench: as root Mosquitto would switch to its own user, who cannot read these files.
      `user ${userInfo().username}`,
      'log_dest stderr',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(binary, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.on('error', () => undefined);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const version = /mosquitto version (\S+)/.exec(spawnSync(binary, ['-h'], { encoding: 'utf8' }).stdout)?.[1] ?? 'unknown';
  for (let attempt = 0; ; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited at start: ${stderr.trim()}`);
    // It listens before it loads its key and certificates: give it a moment to fail on them.
    if ((await accepts(port)) && (await sleep(200), child.exitCode === null)) break;
    if (attempt > 100) throw new Error('mosquitto did not start listening within 10 s');
    await sleep(100);
  }
  return {
    host: '127.0.0.1',
    port,
    pid: child.pid ?? 0,
    version,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
