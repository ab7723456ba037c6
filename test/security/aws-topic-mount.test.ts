/**
 * AWS IoT's reserved topics on the certfleet broker: a device names them as AWS documents them, and the answer to its
 * request reaches it alone, under the name it subscribed to (broker/aws-topic-mount.ts).
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddedBroker } from '../../broker/embedded-broker.js';
import { fleetProvisioningTopics as aws } from '../../sim/device-api/topics.js';
import { createCsr, generateKeyPair, toPem } from '../../sim/pki/index.js';
import { closeDevice, Inbox, publishRaw } from '../support/mqtt-device.js';
import { startTinyBroker, TINY_BROKER_T0 as T0, type TinyBroker } from '../support/tiny-broker.js';

let tiny: TinyBroker;
let broker: EmbeddedBroker;
const device = (clientId: string): Promise<MqttClient> => tiny.device(clientId);

beforeAll(async () => {
  tiny = await startTinyBroker();
  broker = tiny.broker;
});

afterAll(async () => {
  await broker.close();
});

const replyTopics = [aws.createFromCsrAccepted, aws.createFromCsrRejected];

async function createFromCsr(client: MqttClient, cn: string, requestId: string): Promise<void> {
  const csr = toPem(createCsr({ subject: { CN: cn }, keyPair: generateKeyPair('ec-p256') }), 'CERTIFICATE REQUEST');
  await publishRaw(client, aws.createFromCsr, JSON.stringify({ requestId, t: T0, certificateSigningRequest: csr }));
}

describe('AWS IoT reserved topics', () => {
  it('answers CreateCertificateFromCsr to the client that asked only, on the $aws topic it subscribed to', async () => {
    const alice = await device('device-alice');
    const bob = await device('device-bob');
    const aliceInbox = new Inbox(alice);
    const bobInbox = new Inbox(bob);
    // Both subscribe to the same reserved topics, as every device of a fleet does.
    await alice.subscribeAsync('$aws/certificates/create-from-csr/json/+', { qos: 1 });
    await bob.subscribeAsync('$aws/certificates/create-from-csr/json/+', { qos: 1 });

    await createFromCsr(alice, 'device-alice', 'alice-1');
    const toAlice = await aliceInbox.next(replyTopics);
    expect(toAlice?.topic).toBe(aws.createFromCsrAccepted);
    expect((toAlice?.body as { requestId: string }).requestId).toBe('alice-1');

    // Bob's first message is the answer to his own request: Alice's certificate and token never reached him.
    await createFromCsr(bob, 'device-bob', 'bob-1');
    const toBob = await bobInbox.next(replyTopics);
    expect((toBob?.body as { requestId: string }).requestId).toBe('bob-1');
    expect(bobInbox.unclaimed).toEqual([]);
    await Promise.all([closeDevice(alice), closeDevice(bob)]);
  });

  it('lets a device subscribe to the reserved topics of its own mount only', async () => {
    const mallory = await device('device-mallory');
    // `$aws/...` is mounted under mallory's own prefix; another device's mounted topics are not hers.
    expect((await mallory.subscribeAsync('$aws/certificates/create-from-csr/json/accepted', { qos: 0 })).map((g) => g.qos)).toEqual([0]);
    await expect(mallory.subscribeAsync('devices/device-alice/$aws/certificates/create-from-csr/json/accepted', { qos: 0 })).rejects.toThrow();
    await closeDevice(mallory);
  });
});
