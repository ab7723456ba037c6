/**
 * What a device makes of a broker that refuses in MQTT (a CONNACK code), or drops the connection without a word,
 * and what its CONNECT says, per broker dialect: the embedded broker's (time claimed, CONNACK refusals left to the
 * broker's own record) or a real broker's (no claim, CONNACK refusals read as the causes they reveal).
 */
import { once } from 'node:events';
import { createSecureContext, createServer, type Server, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { generate, parser as packetParser, type IConnectPacket, type Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSimTimeUsername } from '../../sim/device-api/messages.js';
import { CertificateAuthority, generateKeyPair } from '../../sim/pki/index.js';
import { CertificatePool } from '../../sim/verify/certificate-pool.js';
import type { ParsedCertificate } from '../../sim/verify/types.js';
import { verifyChainAt } from '../../sim/verify/verify-chain.js';
import { EMBEDDED_BROKER_DIALECT, REAL_BROKER_DIALECT, type BrokerDialect } from '../../workers/broker-dialect.js';
import { dialBroker, type DialOutcome } from '../../workers/broker-session.js';
import { DAY } from '../support/time.js';
import { keyPem, localhostServer } from '../support/localhost-server.js';

const T0 = Date.UTC(2030, 0, 1);

/** What the scripted broker does with the next CONNECT. */
type Answer = { connack: number } | 'close';


const rootKeys = generateKeyPair();
const root = CertificateAuthority.selfSigned({ subject: { CN: 'Connack Root' }, keyPair: rootKeys, notBefore: T0 - DAY, notAfter: T0 + DAY, pathLength: 0 });
const serverIdentity = localhostServer(root, T0 - DAY, T0 + DAY);
const deviceKeys = generateKeyPair();
const deviceCertificate = root.issue({ subject: { CN: 'device-1' }, publicKey: deviceKeys.publicKey, profile: 'device', notBefore: T0 - DAY, notAfter: T0 + DAY });
const deviceContext = createSecureContext({ key: keyPem(deviceKeys), cert: deviceCertificate.pem });
const pool = new CertificatePool();
const anchor = pool.parsePem(root.certificatePem)[0] as ParsedCertificate;

let server: Server;
let port: number;
let answer: Answer = { connack: 0 };
const connects: IConnectPacket[] = [];

beforeAll(async () => {
  // An MQTT broker over TLS that answers the next CONNECT as the test scripts it.
  server = createServer({ key: serverIdentity.keyPem, cert: serverIdentity.certificatePem }, (socket: TLSSocket) => {
    const parser = packetParser({ protocolVersion: 4 });
    parser.on('packet', (packet: Packet) => {
      if (packet.cmd !== 'connect') return;
      connects.push(packet);
      if (answer === 'close') socket.destroy();
      else socket.write(generate({ cmd: 'connack', returnCode: answer.connack, sessionPresent: false }));
    });
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(() => {
  server.close();
});

function dial(dialect: BrokerDialect | undefined, next: Answer): Promise<DialOutcome> {
  answer = next;
  return dialBroker({
    address: '127.0.0.1',
    port,
    serverName: 'localhost',
    secureContext: deviceContext,
    clientId: 'device-1',
    inbox: 'devices/device-1/#',
    t: T0,
    pool,
    judge: ([leaf, ...presented]) =>
      verifyChainAt({
        leaf: leaf as ParsedCertificate,
        presented,
        anchors: [anchor],
        at: T0,
        trueTime: T0,
        policy: { pathBuilding: 'trusted-first', anchorExpiry: 'enforce' },
        purpose: 'serverAuth',
        hostname: 'localhost',
        pool,
      }),
    timeoutMs: 10_000,
    dialect,
  });
}

async function failure(outcome: Promise<DialOutcome>): Promise<{ cause: string; inferredFrom?: string }> {
  const result = await outcome;
  if (result.ok) {
    await result.session.close();
    throw new Error('the broker admitted the device');
  }
  return result.inferredFrom === undefined ? { cause: result.cause } : { cause: result.cause, inferredFrom: result.inferredFrom };
}

describe('a CONNACK refusal read with a real broker\'s dialect', () => {
  it.each([
    [2, 'client_id_mismatch'],
    [3, 'broker_unavailable'],
    [4, 'ambiguous_identity'],
    [5, 'connection_refused'],
  ])('CONNACK %i is %s, inferred from the code', async (code, cause) => {
    expect(await failure(dial(REAL_BROKER_DIALECT, { connack: code }))).toEqual({ cause, inferredFrom: `connack:${code}` });
  });
});

describe('a CONNACK refusal from the embedded broker', () => {
  it.each([3, 5])('CONNACK %i stays connection_refused, left to the broker\'s own record of why', async (code) => {
    expect(await failure(dial(undefined, { connack: code }))).toEqual({ cause: 'connection_refused' });
    expect(await failure(dial(EMBEDDED_BROKER_DIALECT, { connack: code }))).toEqual({ cause: 'connection_refused' });
  });
});

describe('a connection closed without an alert or a CONNACK', () => {
  it('stays broker_unreachable with either dialect: nothing was said, so nothing is inferred', async () => {
    expect(await failure(dial(REAL_BROKER_DIALECT, 'close'))).toEqual({ cause: 'broker_unreachable' });
    expect(await failure(dial(EMBEDDED_BROKER_DIALECT, 'close'))).toEqual({ cause: 'broker_unreachable' });
  });

  it.each(['TLSv1.2', 'TLSv1.3'] as const)(
    'a Node TLS broker refusing an expired certificate over %s sends no alert (Node closes after accepting the handshake): broker_unreachable',
    async (version) => {
      const expiredKeys = generateKeyPair();
      const expired = root.issue({ subject: { CN: 'device-1' }, publicKey: expiredKeys.publicKey, profile: 'device', notBefore: T0 - DAY, notAfter: T0 - 1 });
      // Node's server judges at the host clock, after T0 + DAY: the expired certificate fails there too.
      const strict = createServer({ key: serverIdentity.keyPem, cert: serverIdentity.certificatePem, ca: root.certificatePem, requestCert: true, rejectUnauthorized: true, maxVersion: version });
      strict.on('tlsClientError', () => undefined);
      strict.listen(0, '127.0.0.1');
      await once(strict, 'listening');
      try {
        const outcome = await dialBroker({
          address: '127.0.0.1',
          port: (strict.address() as AddressInfo).port,
          serverName: 'localhost',
          secureContext: createSecureContext({ key: keyPem(expiredKeys), cert: expired.pem }),
          clientId: 'device-1',
          inbox: 'devices/device-1/#',
          t: T0,
          pool,
          judge: () => ({ cause: 'ok', certificateCause: 'ok', path: [], clockSkewMs: 0 }),
          timeoutMs: 10_000,
          dialect: REAL_BROKER_DIALECT,
        });
        expect(outcome).toMatchObject({ ok: false, cause: 'broker_unreachable' });
        expect(outcome.ok ? undefined : outcome.inferredFrom).toBeUndefined();
      } finally {
        strict.close();
      }
    },
  );
});

describe('the time claim in the CONNECT user name', () => {
  it('is sent to the embedded broker, by default and when its dialect is named', async () => {
    connects.length = 0;
    await failure(dial(undefined, { connack: 5 }));
    await failure(dial(EMBEDDED_BROKER_DIALECT, { connack: 5 }));
    expect(connects.map((c) => readSimTimeUsername(c.username))).toEqual([
      { kind: 'claimed', t: T0 },
      { kind: 'claimed', t: T0 },
    ]);
  });

  it('is not sent to a real broker, which would take it for a user name', async () => {
    connects.length = 0;
    await failure(dial(REAL_BROKER_DIALECT, { connack: 5 }));
    await failure(dial({ claimsTime: false, connackCauses: 'broker-record' }, { connack: 5 }));
    expect(connects).toHaveLength(2);
    expect(connects.map((c) => c.username)).toEqual([undefined, undefined]);
  });
});
