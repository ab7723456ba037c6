/**
 * A device cannot get, or be admitted with, a certificate for another identity: CSRs on its own rotation and
 * fleet-provisioning topics that name another device, ask for more than the device profile or carry a weak or
 * foreign key are refused (with their reason, a broker.issuance event and a count) or stripped; a certificate that
 * names two devices is refused at CONNECT. Everything over real mutual TLS on loopback through the embedded broker.
 */
import { sign, X509Certificate } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type ErrorWithReasonCode } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simTimeUsername } from '../../sim/device-api/messages.js';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import { CertificatePool } from '../../sim/verify/certificate-pool.js';
import { readChildren, readSingle } from '../../sim/pki/der-reader.js';
import { bitString, oid, sequence, set, utf8String } from '../../sim/pki/der-writer.js';
import { createCsr, EXTENSION_OIDS, generateKeyPair, pemToDer, readCertificate } from '../../sim/pki/index.js';
import type { BrokerSession } from '../../workers/broker-session.js';
import {
  connectDevice,
  deviceIdentity,
  dialDevice,
  requestCreateFromCsr,
  requestRotation,
  startTestBroker,
  withCertificate,
  type TestBroker,
} from '../support/device-on-broker.js';
import { deviceProfileText, opensslCertificateText, opensslCsr } from '../support/openssl-csr.js';
import { DAY, HOUR } from '../support/time.js';
import { TINY_SCENARIO, tinyScenario } from '../support/tiny-scenario.js';

const T0 = Date.parse('2030-01-15T00:00:00Z');
/** The epoch the broker runs: devices here act at T0. */
const EPOCH = { from: T0, to: T0 + DAY };
let tb: TestBroker;
let scratch: string;
/** Every test uses devices of its own, so the events and counts it reads are its own. */
let devices = 0;

beforeAll(async () => {
  tb = await startTestBroker(tinyScenario(), EPOCH);
  scratch = mkdtempSync(join(tmpdir(), 'certfleet-csr-identity-'));
});

afterAll(async () => {
  await tb.broker.close();
  rmSync(scratch, { recursive: true, force: true });
});

type IssuanceEvent = Extract<FleetEvent, { type: 'broker.issuance' }>;
type AdmissionEvent = Extract<FleetEvent, { type: 'broker.admission' }>;
const issuancesOf = (device: string) => tb.events.filter((e): e is IssuanceEvent => e.type === 'broker.issuance' && e.device === device);
const admissionsOf = (device: string) => tb.events.filter((e): e is AdmissionEvent => e.type === 'broker.admission' && e.device === device);

/** A device admitted with a certificate from the scenario's device CA, and its session. */
async function admitted(device: string): Promise<BrokerSession> {
  return connectDevice(tb, device, deviceIdentity(tb, { CN: device }, T0), T0);
}

/** A CSR for `device`'s own key, signed by another key (RFC 2986 3: no proof of possession). */
function signedByAnotherKey(device: string): Buffer {
  const csr = createCsr({ subject: { CN: device }, keyPair: generateKeyPair() });
  const [info, algorithm] = readChildren(readSingle(csr));
  if (!info || !algorithm) throw new Error('unreadable CSR');
  return sequence(info.raw, algorithm.raw, bitString(sign('sha256', info.raw, generateKeyPair().privateKey)));
}

/** `openssl verify` of an issued certificate against the scenario's device root, as a TLS client certificate. */
function opensslVerify(certificatePem: string, chain: readonly string[]): { status: number; output: string } {
  const write = (name: string, text: string) => {
    const path = join(scratch, name);
    writeFileSync(path, text);
    return path;
  };
  const args = ['verify', '-attime', String(Math.floor((T0 + HOUR) / 1000)), '-purpose', 'sslclient', '-CAfile', write('root.pem', tb.pki.certificates['device-root'] ?? '')];
  if (chain.length > 0) args.push('-untrusted', write('chain.pem', chain.join('')));
  const result = spawnSync('openssl', [...args, write('leaf.pem', certificatePem)], { encoding: 'utf8' });
  return { status: result.status ?? -1, output: result.stdout + result.stderr };
}

describe('a CSR on a device\'s rotation topic for another identity, or with a weak or foreign key', () => {
  // Each row: a fresh device publishes one CSR on its own topic; the CA refuses it with the reason.
  it.each([
    ['names another device as its only CN', (d: string) => opensslCsr({ subject: `/CN=${d}-other` }).der, 'subject_mismatch'],
    ['names another device, then itself (CN=other/CN=self)', (d: string) => opensslCsr({ subject: `/CN=${d}-other/CN=${d}` }).der, 'ambiguous_identity'],
    ['names itself, then another device (CN=self/CN=other)', (d: string) => opensslCsr({ subject: `/CN=${d}/CN=${d}-other` }).der, 'ambiguous_identity'],
    ['names both in one RDN (CN=self+CN=other)', (d: string) => opensslCsr({ subject: `/CN=${d}+CN=${d}-other` }).der, 'ambiguous_identity'],
    ['is signed by a key other than the one it carries', signedByAnotherKey, 'bad_csr_signature'],
    ['carries an RSA-1024 key', (d: string) => opensslCsr({ subject: `/CN=${d}`, key: 'rsa-1024' }).der, 'weak_key'],
    ['carries a key on the secp256k1 curve', (d: string) => opensslCsr({ subject: `/CN=${d}`, key: 'ec-secp256k1' }).der, 'weak_key'],
  ] as const)('is refused when it %s, with the reason in the reply, an event and the stats', async (_, csrFor, reason) => {
    const device = `csr-refused-${++devices}`;
    const session = await admitted(device);
    const before = tb.broker.stats();
    const reply = await requestRotation(session, device, csrFor(device), T0);
    await session.close();
    expect(reply).toEqual({ requestId: reply.requestId, ok: false, reason });
    expect(issuancesOf(device)).toEqual([{ type: 'broker.issuance', t: T0, device, ok: false, reason }]);
    const after = tb.broker.stats();
    expect(after.issuanceRejected - before.issuanceRejected).toBe(1);
    expect((after.issuanceRejectedByReason[reason] ?? 0) - (before.issuanceRejectedByReason[reason] ?? 0)).toBe(1);
    expect(after.issued).toBe(before.issued);
  });

  it('is refused the same way by fleet provisioning\'s create-from-csr', async () => {
    const device = 'csr-provisioning';
    const session = await admitted(device);
    const before = tb.broker.stats();
    const twoCns = await requestCreateFromCsr(session, device, opensslCsr({ subject: `/CN=other/CN=${device}` }).der, T0);
    const weak = await requestCreateFromCsr(session, device, opensslCsr({ subject: `/CN=${device}`, key: 'rsa-1024' }).der, T0);
    await session.close();
    expect(twoCns).toMatchObject({ statusCode: 400, errorCode: 'InvalidRequest', errorMessage: 'ambiguous_identity' });
    expect(weak).toMatchObject({ statusCode: 400, errorCode: 'InvalidRequest', errorMessage: 'weak_key' });
    expect(issuancesOf(device).map((e) => e.reason)).toEqual(['ambiguous_identity', 'weak_key']);
    expect(tb.broker.stats().issuanceRejected - before.issuanceRejected).toBe(2);
  });
});

describe('what a CSR asks for beyond its device\'s identity', () => {
  it.each([
    ['SANs naming another device', ['subjectAltName=DNS:other-device,DNS:localhost,IP:127.0.0.1,URI:spiffe://fleet/other-device']],
    ['CA rights (basicConstraints cA TRUE)', ['basicConstraints=critical,CA:TRUE,pathlen:0']],
    ['other key usages (keyCertSign, cRLSign)', ['keyUsage=critical,digitalSignature,keyCertSign,cRLSign']],
    ['the serverAuth extended key usage', ['extendedKeyUsage=serverAuth']],
    ['an O and an OU', []],
  ])('is stripped when it asks for %s: the certificate names only the device, with the device profile', async (_, addext) => {
    const device = `csr-stripped-${++devices}`;
    const session = await admitted(device);
    const { der, keyPem } = opensslCsr({ subject: `/C=US/O=Other Corp/OU=admins/CN=${device}`, addext });
    const reply = await requestRotation(session, device, der, T0);
    await session.close();
    if (!reply.ok) throw new Error(`refused: ${reply.reason}`);
    const issued = new CertificatePool().parsePem(reply.certificate)[0];
    // The event names the certificate issued: its serial and notAfter.
    expect(issuancesOf(device)).toEqual([{ type: 'broker.issuance', t: T0, device, ok: true, serial: issued?.serialHex, notAfter: issued?.notAfter }]);
    const text = opensslCertificateText(reply.certificate, 'basicConstraints,keyUsage,extendedKeyUsage,subjectAltName');
    expect(text).toBe(deviceProfileText(device));
    const fields = readCertificate(pemToDer(reply.certificate)[0] as Buffer);
    expect([...fields.extensions.keys()].sort()).toEqual(
      [EXTENSION_OIDS.basicConstraints, EXTENSION_OIDS.keyUsage, EXTENSION_OIDS.extKeyUsage, EXTENSION_OIDS.subjectKeyIdentifier, EXTENSION_OIDS.authorityKeyIdentifier].sort(),
    );
    // The certificate the CA does issue verifies, and admits the device as itself and as nobody else.
    expect(opensslVerify(reply.certificate, reply.chain)).toMatchObject({ status: 0, output: expect.stringContaining(': OK') as unknown });
    const renewed = withCertificate(keyPem, reply.certificate, reply.chain.join(''));
    const back = await connectDevice(tb, device, renewed, T0 + HOUR);
    await back.close();
    expect(await dialDevice(tb, 'other-device', renewed, T0 + HOUR)).toMatchObject({ ok: false, cause: 'connection_refused' });
    expect(admissionsOf('other-device').at(-1)).toMatchObject({ cause: 'client_id_mismatch' });
  });
});

describe('a certificate whose subject names two devices, presented at CONNECT', () => {
  const CN = (value: string) => set(sequence(oid('2.5.4.3'), utf8String(value)));

  it.each([
    ['CN=dev-b, then CN=dev-a', 'first-dev-b', 'first-dev-a'],
    ['CN=dev-a, then CN=dev-b', 'second-dev-a', 'second-dev-b'],
  ])('is refused with CONNACK 5 and ambiguous_identity, whichever CN the client id names (%s)', async (_, first, second) => {
    const identity = deviceIdentity(tb, sequence(CN(first), CN(second)), T0);
    expect(new X509Certificate(identity.certificatePem).subject).toBe(`CN=${first}\nCN=${second}`);
    const before = tb.broker.stats().refused.ambiguous_identity ?? 0;
    for (const clientId of [first, second]) {
      const refused = await connectAsync(`mqtts://${tb.broker.host}:${tb.broker.port}`, {
        protocolVersion: 4,
        clientId,
        username: simTimeUsername(T0),
        key: identity.keyPem,
        cert: identity.certificateChainPem,
        rejectUnauthorized: false,
        reconnectPeriod: 0,
        connectTimeout: 10_000,
      }).then(
        async (client) => {
          await client.endAsync();
          return undefined;
        },
        (error: ErrorWithReasonCode) => error,
      );
      // MQTT 3.1.1 3.2.2.3: return code 5, "Connection Refused, not authorized".
      expect(refused?.code).toBe(5);
    }
    for (const clientId of [first, second]) {
      expect(admissionsOf(clientId).filter((e) => e.t === T0)).toEqual([
        expect.objectContaining({ type: 'broker.admission', cause: 'ambiguous_identity' }),
      ]);
    }
    expect((tb.broker.stats().refused.ambiguous_identity ?? 0) - before).toBe(2);
  });

  it('is refused even by a broker that lets client ids differ from the CN', async () => {
    const lax = await startTestBroker(tinyScenario(TINY_SCENARIO.replace('  deviceAuthorities: [device-root]\n', '  deviceAuthorities: [device-root]\n  clientIdMustMatchCertificate: false\n')), EPOCH);
    try {
      const twoCns = deviceIdentity(lax, sequence(CN('lax-b'), CN('lax-a')), T0);
      expect(await dialDevice(lax, 'lax-b', twoCns, T0)).toMatchObject({ ok: false, cause: 'connection_refused' });
      expect(lax.events).toEqual([expect.objectContaining({ type: 'broker.admission', device: 'lax-b', cause: 'ambiguous_identity' })]);
      // The same broker does admit a certificate naming one device under another client id.
      const session = await connectDevice(lax, 'any-client-id', deviceIdentity(lax, { CN: 'lax-c' }, T0), T0);
      await session.close();
      expect(lax.broker.stats()).toMatchObject({ admitted: 1, refused: { ambiguous_identity: 1 } });
    } finally {
      await lax.broker.close();
    }
  });
});
