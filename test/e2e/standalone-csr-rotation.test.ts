import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import { startBrokerCli, type BrokerCli } from '../support/broker-cli.js';
import { runProgram } from '../support/run-program.js';
import { writeScenarioFile } from '../support/scenario-file.js';
import { TINY_SCENARIO } from '../support/tiny-scenario.js';

/**
 * A client rotating by CSR as a user would: `certfleet broker` started from the command line, the exported
 * commands.sh making a key and CSR with `openssl req` and sending it with Debian's `mosquitto_rr` under libfaketime
 * at the broker's clock, then connecting with the certificate it got.
 */
const AT = '2030-01-15T00:00:00.000Z';
const root = mkdtempSync(join(tmpdir(), 'certfleet-csr-rotation-'));
const scenarioFile = writeScenarioFile(root, 'tiny.yaml', TINY_SCENARIO);
let broker: BrokerCli;
let device: { id: string; folder: string };
let other: string;

beforeAll(async () => {
  broker = await startBrokerCli(scenarioFile, join(root, 'session'), ['--at', AT, '--devices', '2']);
  const [first, second] = broker.info.identities;
  if (!first || !second) throw new Error('two identities were asked for');
  const live = broker.info.identities.find((d) => Date.parse(d.notAfter) > Date.parse(AT));
  if (!live) throw new Error('no exported identity outlives the start');
  device = { id: live.clientId, folder: join(broker.dir, live.folder) };
  other = (live === first ? second : first).clientId;
}, 90_000);

afterAll(async () => {
  await broker?.stop().catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

const sh = (env: Record<string, string>, ...args: string[]) =>
  runProgram('sh', [join(device.folder, 'commands.sh'), ...args], { env: { ...process.env, ...env }, timeoutMs: 40_000 });

/** The decision log's lines of one type, once one matching `until` is there (the broker writes as it decides). */
async function decisions<T extends FleetEvent['type']>(type: T, until: (e: Extract<FleetEvent, { type: T }>) => boolean): Promise<Extract<FleetEvent, { type: T }>[]> {
  const read = () =>
    readFileSync(join(broker.dir, 'decisions.ndjson'), 'utf8')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as FleetEvent)
      .filter((e): e is Extract<FleetEvent, { type: T }> => e.type === type);
  for (let i = 0; i < 100 && !read().some(until); i += 1) await sleep(50);
  return read();
}

/** openssl's serial (upper-case hex, maybe a leading 00) as the decision log writes it. */
function serialOf(pemFile: string): Promise<string> {
  return runProgram('openssl', ['x509', '-noout', '-serial', '-in', pemFile]).then((r) => r.stdout.trim().replace(/^serial=/, '').toLowerCase().replace(/^(00)+/, ''));
}

const normal = (serial: string | undefined) => (serial ?? '').toLowerCase().replace(/^(00)+/, '');

describe('a client rotating by CSR with openssl req and mosquitto_rr against certfleet broker', () => {
  it('gets a certificate for a new key, which openssl verify accepts, the log records, and the broker admits', async () => {
    const rotated = await sh({}, 'rotate-at-broker-clock');
    expect({ status: rotated.status, stderr: rotated.stderr }).toMatchObject({ status: 0, stderr: expect.stringContaining('new-cert.pem new-chain.pem new-fullchain.pem new-key.pem: serial=') });
    const answer = JSON.parse(rotated.stdout) as { ok: boolean; issuedAt: number; requestId?: string };
    // No t in the request: served at the broker's clock; no requestId sent, none echoed.
    expect(answer).toMatchObject({ ok: true, issuedAt: Date.parse(AT) });
    expect('requestId' in answer).toBe(false);
    for (const file of ['new-cert.pem', 'new-chain.pem', 'new-fullchain.pem', 'new-key.pem']) expect(existsSync(join(device.folder, file))).toBe(true);

    const serial = await serialOf(join(device.folder, 'new-cert.pem'));
    expect(serial).not.toBe(await serialOf(join(device.folder, 'cert.pem')));
    const subject = await runProgram('openssl', ['x509', '-noout', '-subject', '-nameopt', 'RFC2253', '-in', join(device.folder, 'new-cert.pem')]);
    expect(subject.stdout.trim()).toBe(`subject=CN=${device.id}`);
    // The certificate is for the key openssl req made: their public keys are the same.
    const certKey = await runProgram('openssl', ['x509', '-noout', '-pubkey', '-in', join(device.folder, 'new-cert.pem')]);
    const newKey = await runProgram('openssl', ['pkey', '-pubout', '-in', join(device.folder, 'new-key.pem')]);
    expect(certKey.stdout).toBe(newKey.stdout);
    // The exported CA's device root accepts it, through the chain the answer carried, at the broker's clock.
    const verified = await runProgram('openssl', [
      'verify',
      '-CAfile', join(broker.dir, 'ca', 'authorities', 'device-root.cert.pem'),
      '-untrusted', join(device.folder, 'new-chain.pem'),
      '-purpose', 'sslclient',
      '-attime', String(Date.parse(AT) / 1000),
      join(device.folder, 'new-cert.pem'),
    ]);
    expect(verified).toMatchObject({ status: 0, stdout: `${join(device.folder, 'new-cert.pem')}: OK\n` });
    // Without the chain the answer carried it does not chain to the root.
    const alone = await runProgram('openssl', ['verify', '-CAfile', join(broker.dir, 'ca', 'authorities', 'device-root.cert.pem'), '-attime', String(Date.parse(AT) / 1000), join(device.folder, 'new-cert.pem')]);
    expect(alone.status).not.toBe(0);

    const issued = await decisions('broker.issuance', (e) => e.device === device.id);
    expect(issued.filter((e) => e.device === device.id).map((e) => ({ ok: e.ok, serial: normal(e.serial), t: e.t }))).toEqual([{ ok: true, serial, t: Date.parse(AT) }]);

    // mosquitto_pub with the new certificate and key, under libfaketime: CONNACK 0 and PUBACK, exit 0.
    const published = await sh({ CERT: 'new-fullchain.pem', KEY: 'new-key.pem' }, 'pub-at-broker-clock');
    expect(published).toMatchObject({ status: 0, stderr: '' });
    const admitted = await decisions('broker.admission', (e) => e.device === device.id && normal(e.serial) === serial);
    expect(admitted.filter((e) => e.device === device.id && normal(e.serial) === serial).map((e) => e.cause)).toEqual(['ok']);
  });

  it('refuses a CSR for another device\'s CN with the CA\'s reason in the answer and the log, and keeps the key it had', async () => {
    const keyBefore = readFileSync(join(device.folder, 'new-key.pem'), 'utf8');
    const refused = await sh({ CSR_CN: other }, 'rotate-at-broker-clock');
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ ok: false, reason: 'subject_mismatch' });
    expect(refused.stderr).toContain('rotation refused: subject_mismatch');
    expect(readFileSync(join(device.folder, 'new-key.pem'), 'utf8')).toBe(keyBefore);
    expect(existsSync(join(device.folder, 'new-key.pem.part'))).toBe(false);
    const issuances = await decisions('broker.issuance', (e) => e.device === device.id && !e.ok);
    expect(issuances.filter((e) => e.device === device.id && !e.ok).map((e) => e.reason)).toEqual(['subject_mismatch']);
    expect(broker.stderr()).toMatch(new RegExp(`csr-refused ${device.id} subject_mismatch`));
    // Nothing was issued for the other device's name.
    expect(issuances.filter((e) => e.device === other)).toEqual([]);
  });
});
