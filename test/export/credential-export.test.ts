import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import { connectAsync, type IClientOptions } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerConfigFrom } from '../../broker/broker-config.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../broker/embedded-broker.js';
import { writeFaketimeClock } from '../../broker/mosquitto/faketime-clock.js';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import { cohortAnchorsPem } from '../../sim/export/cohort-anchors.js';
import { exportDeviceCredentials, PKCS12_PASSWORD, type ExportedDevice } from '../../sim/export/credential-export.js';
import { planFleet } from '../../sim/plan/fleet-plan.js';
import { pemToDer } from '../../sim/pki/pem.js';
import { buildScenarioPki, type ScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { manufactureDevices } from '../../sim/scenario-pki/device-factory.js';
import type { Scenario } from '../../sim/scenario/schema.js';
import { opensslVerify } from '../support/openssl-ca.js';
import { presentScenario } from '../support/present-scenario.js';
import { runProgram } from '../support/run-program.js';
import { HOUR } from '../support/time.js';

const NOW = Date.now();
const BOOTSTRAP: [string, string] = ['    backdate: 1h\n', '    backdate: 1h\n  bootstrapCertificates:\n    issuer: device-ca\n    chain: [device-ca]\n    lifetime: 3650d\n'];
let scenario: Scenario;
let pki: ScenarioPki;
let broker: EmbeddedBroker;
let dir: string;
let devices: ExportedDevice[];
const events: FleetEvent[] = [];

beforeAll(async () => {
  scenario = presentScenario(NOW, BOOTSTRAP);
  pki = buildScenarioPki(scenario, 7);
  const plan = planFleet(scenario, { seed: 7 });
  const credentials = manufactureDevices(plan, pki);
  broker = await startEmbeddedBroker(brokerConfigFrom(scenario, pki, 7), (event) => events.push(event));
  // mosquitto_pub claims no time: the broker judges it at the start of the epoch, the real present.
  broker.setEpoch(NOW, NOW + HOUR);
  dir = mkdtempSync(join(tmpdir(), 'certfleet-export-'));
  writeFaketimeClock(join(dir, 'clock.faketime'), NOW);
  const toExport = plan.devices.slice(0, 2).map((device) => ({
    id: device.id,
    cohort: scenario.fleet.cohorts[device.cohort]?.name ?? '',
    credentials: credentials[device.id] ?? assertNever(device.id),
    anchorsPem: cohortAnchorsPem(scenario, pki, device.cohort),
  }));
  devices = await exportDeviceCredentials(dir, toExport, { host: broker.host, port: broker.port, serverName: scenario.broker.host, clockFile: join(dir, 'clock.faketime') });
});

afterAll(async () => {
  await broker?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function assertNever(id: string): never {
  throw new Error(`no credentials for ${id}`);
}

function fileOf(device: ExportedDevice, name: string): string {
  return join(dir, device.folder, name);
}

function first(): ExportedDevice {
  const [device] = devices;
  if (!device) throw new Error('nothing exported');
  return device;
}

describe('credentials exported for a device', () => {
  it('lists every exported device with its folder, serial and validity, and keeps keys private', () => {
    const index = JSON.parse(readFileSync(join(dir, 'devices', 'index.json'), 'utf8')) as { devices: ExportedDevice[] };
    expect(index.devices.map((d) => d.id)).toEqual(devices.map((d) => d.id));
    expect(index.devices).toHaveLength(2);
    for (const device of index.devices) {
      expect(device.clientId).toBe(device.id);
      expect(device.serial).toMatch(/^[0-9a-f]+$/);
      expect(Date.parse(device.notBefore)).toBeLessThan(NOW);
      expect(Date.parse(device.notAfter)).toBeGreaterThan(NOW);
      expect(device.bootstrap).toBeDefined();
      expect(statSync(fileOf(device, 'key.pem')).mode & 0o777).toBe(0o600);
      expect(statSync(fileOf(device, 'device.p12')).mode & 0o777).toBe(0o600);
      expect(statSync(fileOf(device, 'bootstrap/key.pem')).mode & 0o777).toBe(0o600);
    }
    expect(readFileSync(join(dir, 'devices', 'README.md'), 'utf8')).toContain(`password **\`${PKCS12_PASSWORD}\`**`);
  });

  it('gives a full chain that openssl verify accepts against the device root, for the operational and the bootstrap identity', () => {
    const root = pki.certificates['device-root'] ?? '';
    for (const folder of ['', 'bootstrap/']) {
      const leaf = readFileSync(fileOf(first(), `${folder}cert.pem`), 'utf8');
      const chain = readFileSync(fileOf(first(), `${folder}chain.pem`), 'utf8');
      expect(readFileSync(fileOf(first(), `${folder}fullchain.pem`), 'utf8')).toBe(leaf + chain);
      expect(opensslVerify(root, leaf, { untrusted: chain, purpose: 'sslclient' })).toMatchObject({ status: 0 });
      // Without the intermediate the leaf does not chain to the root: chain.pem is what makes it verify.
      expect(opensslVerify(root, leaf, { purpose: 'sslclient' }).status).not.toBe(0);
    }
  });

  it('writes the anchors of the device\'s cohort: those the device workers trust for the broker', () => {
    const anchors = readFileSync(fileOf(first(), 'anchors.pem'), 'utf8');
    const cohort = scenario.fleet.cohorts.findIndex((c) => c.name === first().cohort);
    const names = scenario.fleet.cohorts[cohort]?.trustStore.anchors ?? [];
    expect(pemToDer(anchors)).toEqual(names.map((name) => pemToDer(pki.certificates[name] ?? '')[0]));
  });

  it('makes a device.p12 that openssl pkcs12 reads with the stated password: the key, the leaf, then the chain', async () => {
    const read = await runProgram('openssl', ['pkcs12', '-in', fileOf(first(), 'device.p12'), '-passin', `pass:${PKCS12_PASSWORD}`, '-nodes']);
    expect(read.stderr).toBe('');
    expect(read.status).toBe(0);
    const certificates = pemToDer(read.stdout.replace(/-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----/, ''));
    const fullchain = pemToDer(readFileSync(fileOf(first(), 'fullchain.pem'), 'utf8'));
    expect(certificates).toEqual(fullchain);
    const key = /-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----\n/.exec(read.stdout)?.[0] ?? '';
    const exported = createPrivateKey(readFileSync(fileOf(first(), 'key.pem'), 'utf8'));
    expect(createPrivateKey(key).export({ type: 'pkcs8', format: 'der' })).toEqual(exported.export({ type: 'pkcs8', format: 'der' }));
    const wrong = await runProgram('openssl', ['pkcs12', '-in', fileOf(first(), 'device.p12'), '-passin', 'pass:wrong', '-nodes']);
    expect(wrong.status).not.toBe(0);
  });

  it('makes a device.p12 that Node loads and connects with: the broker admits the device it holds', async () => {
    const device = first();
    const secureContext = createSecureContext({
      pfx: readFileSync(fileOf(device, 'device.p12')),
      passphrase: PKCS12_PASSWORD,
      ca: readFileSync(fileOf(device, 'anchors.pem'), 'utf8'),
    });
    // mqtt.js hands the options it does not know (secureContext, servername) to tls.connect, which checks the chain.
    const options: IClientOptions & { secureContext: SecureContext; servername: string } = {
      host: broker.host,
      port: broker.port,
      protocol: 'mqtts',
      protocolVersion: 4,
      secureContext,
      servername: scenario.broker.host,
      clientId: device.clientId,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    };
    const client = await connectAsync(options);
    await client.endAsync();
    expect(events.filter((e) => e.type === 'broker.admission' && e.device === device.id)).toEqual([]);
  });
});

describe('the exported commands.sh', () => {
  const sh = (device: ExportedDevice, ...args: string[]) => runProgram('sh', [fileOf(device, 'commands.sh'), ...args]);

  it('runs mosquitto_pub, which the broker admits and acknowledges, and mosquitto_rr (sync), which gets the backend\'s answer on the same connection', async () => {
    const device = first();
    // QoS 1: exit 0 means the broker admitted the client and sent PUBACK.
    const published = await sh(device, 'pub');
    expect(published).toMatchObject({ status: 0, stderr: '' });
    // mosquitto_rr subscribes to the answer topic before it publishes, on one connection: the answer cannot go
    // to another session of the same client id.
    const answered = await sh(device, 'sync', '-W', '10');
    expect(answered).toMatchObject({ status: 0, stderr: '', stdout: '{"deliveries":[]}\n' });
    expect(events.filter((e) => e.type === 'broker.admission' && e.device === device.id)).toEqual([]);
  });

  it('runs openssl s_client, which verifies the broker\'s chain and host name against anchors.pem', async () => {
    const result = await sh(first(), 's_client', '-brief');
    expect(result.stderr).toContain('Verification: OK');
    expect(result.stderr).toContain(`Verified peername: ${scenario.broker.host}`);
  });
});
