/**
 * AWS's device SDK provisions from a claim certificate through `certfleet broker` as a user runs it: the command at
 * the present (a scenario whose certificates surround it, since the SDK checks the broker's chain at the host's
 * clock) with `--export`; the SDK loads the exported claim credentials and anchors, dials the endpoint and port
 * broker.json names, calls CreateCertificateFromCsr and RegisterThing with its IotIdentityClient
 * (https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html), then connects with the new
 * certificate; the decision log has each step.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { iotidentity, type mqtt as Mqtt } from 'aws-iot-device-sdk-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPem } from '../../sim/pki/index.js';
import { CertificatePool } from '../../sim/verify/certificate-pool.js';
import { createCertificateFromCsr, registerThing } from '../support/aws-identity-calls.js';
import { connectWithSdkFiles } from '../support/aws-sdk-device.js';
import { startBrokerCli, type BrokerCli } from '../support/broker-cli.js';
import { readEventLines, type EventLine } from '../support/event-lines.js';
import { opensslCsr } from '../support/openssl-csr.js';
import { presentDayScenarioText } from '../support/present-day-broker.js';

type DecisionLine = EventLine & { role?: string; serial?: string };

const now = Math.floor(Date.now() / 1000) * 1000;
const root = mkdtempSync(join(tmpdir(), 'certfleet-sdk-broker-'));
let broker: BrokerCli;
const open: Mqtt.MqttClientConnection[] = [];

beforeAll(async () => {
  const scenario = join(root, 'present-day.yaml');
  writeFileSync(scenario, presentDayScenarioText(now));
  broker = await startBrokerCli(scenario, join(root, 'session'), ['--at', new Date(now).toISOString(), '--devices', '1']);
}, 60_000);

afterAll(async () => {
  // Free the SDK's native connections, or the test process would not exit.
  await Promise.all(open.map((connection) => connection.disconnect().catch(() => undefined)));
  await broker?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** An SDK connection from files, to the endpoint and port broker.json names (the server certificate's name). */
async function connect(clientId: string, files: { certPath: string; keyPath: string; caPath: string }): Promise<Mqtt.MqttClientConnection> {
  const connection = await connectWithSdkFiles({ host: broker.info.serverName, port: broker.info.port }, clientId, files);
  open.push(connection);
  return connection;
}

async function disconnect(connection: Mqtt.MqttClientConnection): Promise<void> {
  await connection.disconnect();
  open.splice(open.indexOf(connection), 1);
}

/** The decision log's lines about `device`, once it has at least `count` of them (it is written as it goes). */
async function decisionsOf(device: string, count: number): Promise<DecisionLine[]> {
  const read = () => readEventLines<DecisionLine>(join(broker.dir, 'decisions.ndjson')).filter((e) => e.device === device);
  for (let i = 0; i < 100 && read().length < count; i += 1) await sleep(50);
  return read();
}

describe("AWS's device SDK against `certfleet broker` with its exported credentials", () => {
  it('provisions from the exported claim certificate with CreateCertificateFromCsr and RegisterThing, then connects with the new certificate', async () => {
    const [device] = broker.info.identities;
    if (!device) throw new Error('the session exported no device');
    const folder = join(broker.dir, device.folder);
    const anchors = join(folder, 'anchors.pem');
    const claim = await connect(device.clientId, { certPath: join(folder, 'bootstrap', 'fullchain.pem'), keyPath: join(folder, 'bootstrap', 'key.pem'), caPath: anchors });
    const identity = new iotidentity.IotIdentityClient(claim);

    // The device's new key never leaves it: a CSR made with `openssl req`, in PEM as AWS's API takes it.
    const { der, keyPem } = opensslCsr({ subject: `/CN=${device.clientId}` });
    const created = await createCertificateFromCsr(identity, toPem(der, 'CERTIFICATE REQUEST'));
    const registered = await registerThing(identity, created.certificateOwnershipToken ?? '');
    expect(registered).toEqual(expect.objectContaining({ thingName: device.clientId, deviceConfiguration: {} }));
    await disconnect(claim);

    // The device keeps what it was given next to the exported anchors, and connects with it.
    const certPath = join(root, 'new-cert.pem');
    const keyPath = join(root, 'new-key.pem');
    writeFileSync(certPath, created.certificatePem ?? '');
    writeFileSync(keyPath, keyPem, { mode: 0o600 });
    const operational = await connect(device.clientId, { certPath, keyPath, caPath: anchors });
    await disconnect(operational);

    const issued = new CertificatePool().parsePem(created.certificatePem ?? '')[0];
    const claimSerial = new CertificatePool().parsePem(readFileSync(join(folder, 'bootstrap', 'cert.pem'), 'utf8'))[0]?.serialHex;
    expect(issued?.identity).toEqual({ kind: 'one', commonName: device.clientId });
    // Every decision at the broker's clock (--at, frozen): the claim admitted for provisioning only, the issuance,
    // the registration that activated the certificate, and the admission on it.
    const decisions = await decisionsOf(device.clientId, 4);
    expect(decisions.map(({ type, t, cause, ok, role, serial }) => ({ type, t, cause, ok, role, serial }))).toEqual([
      { type: 'broker.admission', t: now, cause: 'ok', ok: undefined, role: 'bootstrap', serial: claimSerial },
      { type: 'broker.issuance', t: now, cause: undefined, ok: true, role: undefined, serial: issued?.serialHex },
      { type: 'broker.registration', t: now, cause: undefined, ok: true, role: undefined, serial: undefined },
      { type: 'broker.admission', t: now, cause: 'ok', ok: undefined, role: 'operational', serial: issued?.serialHex },
    ]);
  }, 60_000);
});
