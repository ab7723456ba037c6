import { Aedes } from 'aedes';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EpochWindow } from '../../broker/epoch-window.js';
import { subscribeJson, type RequestGuard, type RequestRefusal } from '../../broker/subscribe-json.js';
import { aedesLink } from '../support/aedes-link.js';

const FROM = Date.parse('2030-01-15T00:00:00Z');

let broker: Aedes;
let refused: { deviceId: string; kind: string; refusal: RequestRefusal }[];
let guard: RequestGuard;

beforeEach(async () => {
  broker = await Aedes.createBroker();
  refused = [];
  const window = new EpochWindow(FROM);
  window.open(FROM, FROM + 60_000);
  guard = { window, onRefused: (record) => refused.push(record) };
});

afterEach(async () => {
  await new Promise<void>((resolve) => broker.close(() => resolve()));
});

/** A publish as aedes routes one from a device; resolves once every subscriber has taken it. */
function publish(topic: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    broker.publish({ cmd: 'publish', topic, payload: Buffer.from(body), qos: 0, retain: false, dup: false }, (error) => (error ? reject(error) : resolve()));
  });
}

describe('a backend service behind subscribeJson', () => {
  it('that throws, rejects, or fails even to refuse, is recorded as an internal error and the broker keeps routing', async () => {
    const answered: string[] = [];
    await subscribeJson(aedesLink(broker), guard, {
      kind: 'sync',
      filter: 'devices/+/sync/request',
      serve: (deviceId) => {
        throw new TypeError(`cannot serve ${deviceId}`);
      },
      refuse: (deviceId, refusal) => {
        answered.push(`${deviceId}:${refusal.reason}`);
      },
    });
    await subscribeJson(aedesLink(broker), guard, {
      kind: 'jobs-update',
      filter: 'devices/+/$aws/things/+/jobs/+/update',
      serve: () => Promise.reject(new Error('the registry is gone')),
      refuse: () => {
        throw new Error('and so is the reply topic');
      },
    });
    const served: string[] = [];
    await subscribeJson(aedesLink(broker), guard, {
      kind: 'delivery-ack',
      filter: 'devices/+/delivery/ack',
      serve: (deviceId, body) => {
        served.push(`${deviceId}:${body.updateId}`);
      },
    });

    await publish('devices/d1/sync/request', JSON.stringify({ t: FROM }));
    await publish('devices/d2/$aws/things/d2/jobs/j1/update', JSON.stringify({ t: FROM, status: 'SUCCEEDED', statusDetails: { certificateId: '0a' } }));
    // The rejection settles on a later turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    await publish('devices/d3/delivery/ack', JSON.stringify({ updateId: 'u1', result: 'applied' }));

    expect(refused.map((r) => [r.deviceId, r.kind, r.refusal.reason])).toEqual([
      ['d1', 'sync', 'internal_error'],
      ['d2', 'jobs-update', 'internal_error'],
    ]);
    expect(refused[0]?.refusal.problem).toContain('cannot serve d1');
    expect(answered).toEqual(['d1:internal_error']);
    expect(served).toEqual(['d3:u1']);
  });

  it('keeps routing when even recording a refusal fails', async () => {
    const served: number[] = [];
    const failingGuard: RequestGuard = {
      window: guard.window,
      onRefused: () => {
        throw new Error('the event log is full');
      },
    };
    await subscribeJson(aedesLink(broker), failingGuard, { kind: 'sync', filter: 'devices/+/sync/request', serve: (_id, body) => void served.push(body.t) });
    await publish('devices/d1/sync/request', 'null');
    await publish('devices/d1/sync/request', JSON.stringify({ t: FROM }));
    expect(served).toEqual([FROM]);
  });

  it('serves only bodies that pass the request schema and claim a time inside the epoch', async () => {
    const served: number[] = [];
    await subscribeJson(aedesLink(broker), guard, { kind: 'sync', filter: 'devices/+/sync/request', serve: (_id, body) => void served.push(body.t) });
    for (const body of ['{"t":"soon"}', 'null', '{"t":1e400}', JSON.stringify({ t: FROM - 1 }), JSON.stringify({ t: FROM + 60_000 }), JSON.stringify({ t: FROM + 59_999 })]) {
      await publish('devices/d1/sync/request', body);
    }
    expect(served).toEqual([FROM + 59_999]);
    expect(refused.map((r) => r.refusal.reason)).toEqual([
      'malformed_request',
      'malformed_request',
      'malformed_request',
      'time_claim_outside_epoch',
      'time_claim_outside_epoch',
    ]);
  });
});
