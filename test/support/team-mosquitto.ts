/**
 * A Mosquitto as a team runs its own broker: started by the test on the host clock, configured by hand (mutual TLS,
 * the identity as user name, an ACL), neither started nor steered by certfleet (broker.target external).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface TeamMosquitto {
  port: number;
  /** What Mosquitto logged (stderr): who connected, who was refused. */
  log(): string;
  stop(): Promise<void>;
}

export async function startTeamMosquitto(dir: string, files: { cafile: string; certfile: string; keyfile: string; acl: string }): Promise<TeamMosquitto> {
  const port = await freePort();
  const aclFile = join(dir, 'team.acl');
  writeFileSync(aclFile, files.acl);
  const config = join(dir, 'team-mosquitto.conf');
  writeFileSync(
    config,
    [
      `listener ${port} 127.0.0.1`,
      `cafile ${files.cafile}`,
      `certfile ${files.certfile}`,
      `keyfile ${files.keyfile}`,
      'require_certificate true',
      'use_identity_as_username true',
      'allow_anonymous false',
      `acl_file ${aclFile}`,
      'persistence false',
      // As root Mosquitto would switch to its own user, who cannot read the test's files.
      `user ${userInfo().username}`,
      'log_dest stderr',
      'log_type all',
      '',
    ].join('\n'),
  );
  const binary = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((candidate) => !spawnSync(candidate, ['-h']).error) ?? 'mosquitto';
  const child: ChildProcess = spawn(binary, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  for (let attempt = 0; !(await accepts(port)); attempt += 1) {
    if (child.exitCode !== null || attempt > 100) throw new Error(`mosquitto did not start: ${log}`);
    await sleep(100);
  }
  return {
    port,
    log: () => log,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
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
