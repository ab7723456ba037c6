import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquittoBroker } from '../../broker/mosquitto/mosquitto-broker.js';
import { findMosquittoPrograms, MissingProgramError } from '../../broker/mosquitto/mosquitto-programs.js';
import { UserInputError } from '../../sim/input/user-input-error.js';
import { generateKeyPair } from '../../sim/pki/index.js';
import { authorityFromPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { connectDevice, deviceIdentity, type DeviceIdentity } from '../support/mqtt-device.js';
import { BACKEND_USER, startTestMosquitto, type TestMosquitto } from '../support/mosquitto.js';
import { DAY, SECOND } from '../support/time.js';

const T0 = Date.parse('2030-01-10T14:00:00Z');
let mosquitto: TestMosquitto;

beforeAll(async () => {
  mosquitto = await startTestMosquitto();
  await mosquitto.broker.setEpoch(T0, T0 + DAY);
});

afterAll(async () => {
  await mosquitto?.broker.close();
});

const address = () => ({ host: mosquitto.broker.host, port: mosquitto.broker.port });

/** A device certificate from `authority`, which the broker does not accept at first. */
function outsider(cn: string, authority: string): DeviceIdentity {
  const ca = authorityFromPki(mosquitto.pki, authority, 7, `test-${cn}`);
  const keyPair = generateKeyPair('ec-p256');
  const issued = ca.issue({ subject: { CN: cn }, publicKey: keyPair.publicKey, profile: 'device', notBefore: T0 - DAY, notAfter: T0 + DAY });
  return { key: keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), cert: issued.pem };
}

function device(cn: string, validity = { notBefore: T0 - DAY, notAfter: T0 + 30 * DAY }): DeviceIdentity {
  const identity = deviceIdentity(mosquitto.pki, cn, validity);
  mosquitto.register(cn, identity);
  return identity;
}

async function connected(identity: DeviceIdentity, clientId: string): Promise<MqttClient> {
  const outcome = await connectDevice(address(), identity, { clientId });
  if (!outcome.ok) throw new Error(`${clientId} was refused: ${outcome.message}`);
  return outcome.client;
}

/** The server certificate chain Mosquitto serves to a new handshake, as subject CNs. */
function servedChain(identity: DeviceIdentity): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: mosquitto.broker.host, port: mosquitto.broker.port, key: identity.key, cert: identity.cert, rejectUnauthorized: false }, () => {
      const names: string[] = [];
      let certificate: (PeerCertificate & { issuerCertificate?: PeerCertificate }) | undefined = socket.getPeerCertificate(true);
      while (certificate?.subject && names.length < 5) {
        names.push(String(certificate.subject.CN));
        const next: PeerCertificate | undefined = certificate.issuerCertificate;
        certificate = next === certificate ? undefined : next;
      }
      socket.end();
      resolve(names);
    });
    socket.once('error', reject);
  });
}

describe('Mosquitto under libfaketime, configured from the scenario', () => {
  it('names itself mosquitto 2.0.11 with its clock set by libfaketime', () => {
    expect(mosquitto.broker.describe()).toEqual({ target: 'mosquitto', version: '2.0.11', clock: expect.stringMatching(/^libfaketime, FAKETIME_TIMESTAMP_FILE set per epoch/) });
  });

  it('accepts a certificate whose notAfter is 14:01:15Z at 14:01:15Z and refuses it at 14:01:16Z', async () => {
    const notAfter = Date.parse('2030-01-10T14:01:15Z');
    const identity = device('device-expiring', { notBefore: T0 - DAY, notAfter });
    // The coordinator ends an epoch where the verdict changes: just after notAfter (RFC 5280 4.1.2.5: inclusive).
    expect(mosquitto.broker.nextVerdictChangeAfter(T0)).toBe(notAfter + 1);

    await mosquitto.broker.setEpoch(notAfter, notAfter + SECOND);
    const atBound = await connectDevice(address(), identity, { clientId: 'device-expiring' });
    expect(atBound.ok ? 'ok' : atBound.message).toBe('ok');
    if (atBound.ok) atBound.client.end(true);

    // A millisecond later it has expired, as the embedded broker judges it.
    await mosquitto.broker.setEpoch(notAfter + 1, notAfter + SECOND);
    const justAfter = await connectDevice(address(), identity, { clientId: 'device-expiring' });
    expect(justAfter).toMatchObject({ ok: false, message: expect.stringMatching(/certificate expired/) });

    await mosquitto.broker.setEpoch(notAfter + SECOND, notAfter + 2 * SECOND);
    const afterBound = await connectDevice(address(), identity, { clientId: 'device-expiring' });
    expect(afterBound).toMatchObject({ ok: false, message: expect.stringMatching(/certificate expired/) });
    await mosquitto.broker.setEpoch(T0, T0 + DAY);
  });

  it('refuses a device whose certificate comes from an authority it does not accept', async () => {
    const stranger = outsider('device-stranger', 'other-root');
    const outcome = await connectDevice(address(), stranger, { clientId: 'device-stranger' });
    expect(outcome).toMatchObject({ ok: false, message: expect.stringMatching(/unknown ca/) });
  });

  it('lets a device publish only its own requests and subscribe only under its own topics', async () => {
    const backend = await connected(mosquitto.backend, BACKEND_USER);
    const received: string[] = [];
    backend.on('message', (topic) => received.push(topic));
    await backend.subscribeAsync('devices/#', { qos: 1 });
    const a = await connected(device('device-a'), 'device-a');

    // Mosquitto 2.0's acl_file grants any SUBACK and checks `read` on delivery: nothing of device-b reaches device-a.
    const inbox: string[] = [];
    a.on('message', (topic) => inbox.push(topic));
    await a.subscribeAsync(['devices/device-b/#', 'devices/device-a/#'], { qos: 1 });

    // MQTT 3.1.1 has no way to refuse a PUBLISH: Mosquitto acknowledges it and drops it.
    await a.publishAsync('devices/device-b/rotation/csr', 'not mine', { qos: 1 });
    await a.publishAsync('devices/device-a/rotation/cert', 'a reply is the backend\'s', { qos: 1 });
    await a.publishAsync('devices/device-a/rotation/csr', 'mine', { qos: 1 });
    await expect.poll(() => received).toContain('devices/device-a/rotation/csr');
    expect(received).toEqual(['devices/device-a/rotation/csr']);

    // The backend may publish under any device's prefix; the device receives only what is under its own.
    await backend.publishAsync('devices/device-b/delivery', '{}', { qos: 1 });
    await backend.publishAsync('devices/device-a/delivery', '{}', { qos: 1 });
    await expect.poll(() => inbox).toContain('devices/device-a/delivery');
    expect(inbox).toEqual(['devices/device-a/rotation/csr', 'devices/device-a/delivery']);
    a.end(true);
    backend.end(true);
  });

  it('refuses a revoked device certificate after the CRL changes; the live session stays on Mosquitto, and its device is told to end it', async () => {
    const identity = device('device-revoked');
    const live = await connected(identity, 'device-revoked');
    const dropped = await mosquitto.broker.applyEvent({ at: T0 + SECOND, kind: 'revoke-devices', deviceIds: ['device-revoked'] });
    expect(dropped).toEqual({ clientIds: ['device-revoked'] });
    expect(mosquitto.events).toContainEqual({ type: 'broker.revocation', t: T0 + SECOND, target: '1 devices', certificates: 1 });
    await mosquitto.broker.setEpoch(T0 + SECOND, T0 + DAY);

    const again = await connectDevice(address(), identity, { clientId: 'device-revoked-2' });
    expect(again).toMatchObject({ ok: false, message: expect.stringMatching(/certificate revoked/) });
    // Mosquitto checks the CRL at handshakes only.
    expect(live.connected).toBe(true);
    await expect(live.publishAsync('devices/device-revoked/sync/request', '{}', { qos: 1 })).resolves.toBeDefined();
    live.end(true);
    // Others of the same issuer are still admitted: the new list replaced the empty one.
    (await connected(device('device-fine'), 'device-fine')).end(true);
  });

  it('serves the new chain on the next handshake after a server-certificate switch', async () => {
    const identity = device('device-chain');
    expect(await servedChain(identity)).toEqual(['localhost', 'Test Server CA']);
    const dropped = await mosquitto.broker.applyEvent({ at: T0 + 2 * SECOND, kind: 'server-certificate', use: 'broker-other' });
    expect(dropped).toEqual({});
    const served = await servedChain(identity);
    expect(served[0]).toBe('localhost');
    expect(served).not.toContain('Test Server CA');
    await mosquitto.broker.applyEvent({ at: T0 + 3 * SECOND, kind: 'server-certificate', use: 'broker' });
    expect(await servedChain(identity)).toEqual(['localhost', 'Test Server CA']);
  });

  it('takes a second revocation in the same second, a list of the same thisUpdate, on SIGHUP too', async () => {
    const first = device('device-same-second-1');
    const second = device('device-same-second-2');
    const at = T0 + 5 * SECOND;
    expect(await mosquitto.broker.applyEvent({ at, kind: 'revoke-devices', deviceIds: ['device-same-second-1'] })).toEqual({ clientIds: ['device-same-second-1'] });
    expect(await mosquitto.broker.applyEvent({ at: at + 500, kind: 'revoke-devices', deviceIds: ['device-same-second-2'] })).toEqual({ clientIds: ['device-same-second-2'] });
    await mosquitto.broker.setEpoch(at + 500, T0 + DAY);
    for (const [identity, clientId] of [[first, 'device-same-second-1'], [second, 'device-same-second-2']] as const) {
      expect(await connectDevice(address(), identity, { clientId })).toMatchObject({ ok: false, message: expect.stringMatching(/certificate revoked/) });
    }
  });

  it('adds a device authority with a SIGHUP, keeping every session', async () => {
    const added = outsider('device-added', 'other-root');
    expect((await connectDevice(address(), added, { clientId: 'device-added' })).ok).toBe(false);
    const dropped = await mosquitto.broker.applyEvent({ at: T0 + 6 * SECOND, kind: 'device-authorities', add: ['other-root'], remove: [] });
    expect(dropped).toEqual({});
    (await connected(added, 'device-added')).end(true);
  });

  it('removes a device authority with a SIGHUP: its devices are refused at their next handshake', async () => {
    const added = outsider('device-removed', 'other-root');
    const live = await connected(added, 'device-removed');
    const dropped = await mosquitto.broker.applyEvent({ at: T0 + 8 * SECOND, kind: 'device-authorities', add: [], remove: ['other-root'] });
    expect(dropped).toEqual({});
    expect(await connectDevice(address(), added, { clientId: 'device-removed-2' })).toMatchObject({ ok: false, message: expect.stringMatching(/unknown ca/) });
    expect(live.connected).toBe(true);
    live.end(true);
  });

  it('dates a revocation at the second its clock reads, even when that is a second early at an exact notAfter', async () => {
    const at = T0 + 9 * SECOND;
    device('device-ending-now', { notBefore: T0 - DAY, notAfter: at });
    device('device-revoked-now');
    const bystander = device('device-bystander');
    await mosquitto.broker.applyEvent({ at, kind: 'revoke-devices', deviceIds: ['device-revoked-now'] });
    await mosquitto.broker.setEpoch(at, at + 1);
    // A list dated after the clock's reading would be "not yet valid" to OpenSSL, which then refuses every leaf.
    (await connected(bystander, 'device-bystander')).end(true);
  });

  it('stays down through a restart for the simulated time it lasts, then admits devices again', async () => {
    const identity = device('device-restart');
    const at = T0 + 10 * SECOND;
    expect(await mosquitto.broker.applyEvent({ at, kind: 'restart', downFor: 60 * SECOND })).toEqual({ all: true });
    expect(mosquitto.broker.nextVerdictChangeAfter(at)).toBe(at + 60 * SECOND);
    await mosquitto.broker.setEpoch(at, at + 60 * SECOND);
    expect(await connectDevice(address(), identity, { clientId: 'device-restart' })).toMatchObject({ ok: false });
    await mosquitto.broker.setEpoch(at + 60 * SECOND, at + DAY);
    (await connected(identity, 'device-restart')).end(true);
  });

  it('refuses every known device certificate under a revoked issuing authority, and still admits the backend', async () => {
    const identity = device('device-under-revoked-ca');
    mosquitto.broker.certificateIssued(mosquitto.backend.cert);
    (await connected(identity, 'device-under-revoked-ca')).end(true);
    const at = T0 + 2 * 60 * SECOND;
    const dropped = await mosquitto.broker.applyEvent({ at, kind: 'revoke-authority', authority: 'device-ca' });
    expect(dropped.clientIds).toContain('device-under-revoked-ca');
    expect(dropped.clientIds).not.toContain(BACKEND_USER);
    await mosquitto.broker.setEpoch(at, T0 + DAY);
    expect(await connectDevice(address(), identity, { clientId: 'device-under-revoked-ca' })).toMatchObject({ ok: false, message: expect.stringMatching(/certificate revoked/) });
    (await connected(mosquitto.backend, BACKEND_USER)).end(true);
  });
});

describe('a machine without Mosquitto or libfaketime', () => {
  /** A PATH of one folder that does not exist. */
  const NO_PROGRAMS = join(tmpdir(), 'certfleet-no-such-folder');

  it('names the Debian package of a missing mosquitto binary', () => {
    expect(() => findMosquittoPrograms({ path: NO_PROGRAMS })).toThrow(MissingProgramError);
    expect(() => findMosquittoPrograms({ path: NO_PROGRAMS })).toThrow(/the mosquitto broker was not found .*install the Debian package mosquitto /);
  });

  it('names the Debian package of a missing libfaketime', () => {
    expect(() => findMosquittoPrograms({ libraryDirs: ['/nonexistent'] })).toThrow(/libfaketime\.so\.1 was not found .*install the Debian package faketime /);
  });

  it('refuses to start as bad input, which the command line prints in one line', async () => {
    const start = startMosquittoBroker(mosquitto.config, { backendUser: BACKEND_USER, currentCertificateOf: () => undefined, programs: { path: NO_PROGRAMS } }, () => {});
    await expect(start).rejects.toBeInstanceOf(UserInputError);
    await expect(start).rejects.toThrow(/^--broker mosquitto: the mosquitto broker was not found/);
  });
});
