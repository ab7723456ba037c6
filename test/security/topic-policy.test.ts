/**
 * The topic policy over real mutual TLS: an admitted device subscribes only under its own prefix and publishes only
 * its requests there; every refusal is counted (broker.topicDenied) and the offender gets what MQTT 3.1.1 gives it.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddedBroker } from '../../broker/embedded-broker.js';
import { closeDevice, Inbox } from '../support/mqtt-device.js';
import { subackCodes } from '../support/suback-codes.js';
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

/** Resolves when the broker has closed the client's connection, or false after `timeoutMs`. */
function closedWithin(client: MqttClient, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (!client.connected) return resolve(true);
    const timer = setTimeout(() => resolve(false), timeoutMs);
    client.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe('subscriptions outside a device\'s own topics', () => {
  it.each([
    ['#', 'every topic'],
    ['$SYS/#', "the broker's own topics"],
    ['+/#', 'every topic under any first level'],
    ['devices/#', "every device's topics"],
    ['devices/+/rotation/cert', "every device's certificates"],
    ['devices/device-bob/#', "another device's topics"],
    ['devices/+/rotation/csr', "the backend's request topics"],
  ])('refuses %s (%s) with SUBACK 0x80, counted, and keeps the session', async (filter) => {
    const mallory = await device('device-mallory');
    const before = broker.stats().topicDenied;
    // [MQTT-3.9.3] a refused subscription is answered with the failure return code 0x80.
    expect(await subackCodes(mallory, filter, 0)).toEqual([0x80]);
    expect(broker.stats().topicDenied).toBe(before + 1);
    expect(mallory.connected).toBe(true);
    await closeDevice(mallory);
  });

  it('grants a device its own prefix', async () => {
    const alice = await device('device-alice');
    expect(await subackCodes(alice, 'devices/device-alice/#', 0)).toEqual([0]);
    await closeDevice(alice);
  });
});

describe('publishes outside a device\'s requests', () => {
  it.each([
    ['devices/device-bob/rotation/csr', "another device's request topic"],
    ['devices/device-bob/rotation/cert', "the backend's reply to another device"],
    ['devices/device-mallory/rotation/cert', "the backend's reply topic, even its own"],
    ['devices/device-mallory/delivery', "the backend's delivery topic, even its own"],
    ['devices/device-mallory/$aws/certificates/create-from-csr/json/accepted', "AWS IoT's reserved accepted topic, mounted"],
    ['$aws/certificates/create-from-csr/json/accepted', "AWS IoT's reserved accepted topic, as AWS names it"],
    ['$SYS/broker/uptime', "the broker's own topics"],
    ['backend/anything', 'a topic outside every device prefix'],
  ])('refuses %s (%s): the offender is disconnected, nothing reaches a subscriber, the refusal is counted', async (topic) => {
    const bob = await device('device-bob');
    const inbox = new Inbox(bob);
    await bob.subscribeAsync('devices/device-bob/#', { qos: 0 });
    const mallory = await device('device-mallory');
    const before = broker.stats().topicDenied;
    mallory.publish(topic, JSON.stringify({ from: 'mallory' }), { qos: 0 });
    // MQTT 3.1.1 has no negative acknowledgement for a PUBLISH: the broker closes the connection, as AWS IoT does.
    expect(await closedWithin(mallory, 5_000)).toBe(true);
    expect(broker.stats().topicDenied).toBe(before + 1);
    expect(await inbox.next([topic], 300)).toBeUndefined();
    mallory.end(true);
    await closeDevice(bob);
  });

  it('lets a device publish its own request, which the backend answers', async () => {
    const alice = await device('device-alice');
    const inbox = new Inbox(alice);
    await alice.subscribeAsync('devices/device-alice/sync/response', { qos: 0 });
    const before = broker.stats().topicDenied;
    alice.publish('devices/device-alice/sync/request', JSON.stringify({ t: T0 }), { qos: 0 });
    expect(await inbox.next(['devices/device-alice/sync/response'])).toMatchObject({ body: { deliveries: [] } });
    expect(broker.stats().topicDenied).toBe(before);
    await closeDevice(alice);
  });
});
