/**
 * One real broker: Mosquitto (OpenSSL inside) requiring client certificates, started here on the host clock with a
 * minimal configuration (the scenario-driven Mosquitto target is broker/mosquitto/). It refuses an expired device
 * certificate with alert 45 after the device's TLS 1.3 handshake completed, and admits a valid one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority, generateKeyPair } from '../../sim/pki/index.js';
import { CertificatePool } from '../../sim/verify/certificate-pool.js';
import type { ParsedCertificate } from '../../sim/verify/types.js';
import { verifyChainAt } from '../../sim/verify/verify-chain.js';
import { REAL_BROKER_DIALECT } from '../../workers/broker-dialect.js';
import { dialBroker, type DialOutcome } from '../../workers/broker-session.js';
import { DAY } from '../support/time.js';
import { keyPem, localhostServer } from '../support/localhost-server.js';

const MOSQUITTO = '/usr/sbin/mosquitto';
// Mosquitto judges at the host clock; the certificates are dated around it.
const NOW = Date.now();


const rootKeys = generateKeyPair();
const root = CertificateAuthority.selfSigned({ subject: { CN: 'Mosquitto Test Root' }, keyPair: rootKeys, notBefore: NOW - 30 * DAY, notAfter: NOW + 30 * DAY, pathLength: 0 });
const serverIdentity = localhostServer(root, NOW - DAY, NOW + DAY);

function device(notBefore: number, notAfter: number): SecureContext {
  const keys = generateKeyPair();
  const issued = root.issue({ subject: { CN: 'device-1' }, publicKey: keys.publicKey, profile: 'device', notBefore, notAfter });
  return createSecureContext({ key: keyPem(keys), cert: issued.pem });
}

const pool = new CertificatePool();
const anchor = pool.parsePem(root.certificatePem)[0] as ParsedCertificate;

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

let mosquitto: ChildProcess;
let port: number;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'certfleet-mosquitto-'));
  const file = (name: string, content: string) => {
    writeFileSync(join(dir, name), content);
    return join(dir, name);
  };
  port = await freePort();
  const config = [
    // Mosquitto started as root drops to this user; as anyone else it stays who it is.
    `user ${userInfo().username}`,
    `listener ${port} 127.0.0.1`,
    `cafile ${file('ca.pem', root.certificatePem)}`,
    `certfile ${file('server.pem', serverIdentity.certificatePem)}`,
    `keyfile ${file('server.key', serverIdentity.keyPem)}`,
    'require_certificate true',
    'use_identity_as_username true',
    'allow_anonymous false',
  ];
  mosquitto = spawn(MOSQUITTO, ['-c', file('mosquitto.conf', `${config.join('\n')}\n`)], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    mosquitto.once('exit', (code) => reject(new Error(`mosquitto exited with ${code}: ${log}`)));
    mosquitto.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (/mosquitto version \S+ running/.test(log)) resolve();
    });
  });
  mosquitto.removeAllListeners('exit');
}, 20_000);

afterAll(async () => {
  if (mosquitto && mosquitto.exitCode === null && mosquitto.signalCode === null) {
    mosquitto.kill();
    await once(mosquitto, 'exit');
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function dial(secureContext: SecureContext): Promise<DialOutcome> {
  return dialBroker({
    address: '127.0.0.1',
    port,
    serverName: 'localhost',
    secureContext,
    clientId: 'device-1',
    inbox: 'devices/device-1/#',
    t: NOW,
    pool,
    judge: ([leaf, ...presented]) =>
      verifyChainAt({
        leaf: leaf as ParsedCertificate,
        presented,
        anchors: [anchor],
        at: NOW,
        trueTime: NOW,
        policy: { pathBuilding: 'trusted-first', anchorExpiry: 'enforce' },
        purpose: 'serverAuth',
        hostname: 'localhost',
        pool,
      }),
    timeoutMs: 10_000,
    dialect: REAL_BROKER_DIALECT,
  });
}

describe('a device against Mosquitto', () => {
  it('an expired device certificate is expired_leaf, inferred from the alert 45 Mosquitto sends', async () => {
    const outcome = await dial(device(NOW - 10 * DAY, NOW - DAY));
    // afterHandshake: the device had judged Mosquitto's chain and sent CONNECT when the alert came (TLS 1.3).
    expect(outcome.ok ? 'admitted' : { cause: outcome.cause, inferredFrom: outcome.inferredFrom, afterHandshake: outcome.verdict?.cause === 'ok' }).toEqual({
      cause: 'expired_leaf',
      inferredFrom: 'tls-alert:45 certificate_expired',
      afterHandshake: true,
    });
  });

  it('a valid device certificate is admitted (CONNACK 0) with the real broker\'s dialect', async () => {
    const outcome = await dial(device(NOW - DAY, NOW + DAY));
    expect(outcome.ok ? 'admitted' : outcome.cause).toBe('admitted');
    if (outcome.ok) await outcome.session.close();
  });
});
