import { randomBytes } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { generate } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerConfigFrom, type BrokerConfig } from '../../broker/broker-config.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../broker/embedded-broker.js';
import type { ConnectionLimits } from '../../broker/listener/connection-limits.js';
import { simTimeUsername } from '../../sim/device-api/messages.js';
import { deviceTopics } from '../../sim/device-api/topics.js';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import { buildScenarioPki, type ScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import type { ConnectionCutReason } from '../../sim/stats/broker-stats.js';
import { allClosed, closedCount, closesWithin, openTcpConnections, openTls, PARTIAL_CLIENT_HELLO, stream, type Watched } from '../support/abusive-clients.js';
import { startBrokerProcess } from '../support/broker-process.js';
import { deviceCredentials } from '../support/device-credentials.js';
import { connectAndRotate, dialAs } from '../support/device-rotation.js';
import { tinyScenario } from '../support/tiny-scenario.js';
import { DAY } from '../support/time.js';

const scenario = tinyScenario();
const T0 = Date.parse('2030-01-15T00:00:00Z');
/** The epoch the broker runs: every client here claims T0. */
const EPOCH: [number, number] = [T0, T0 + DAY];
/** Short limits, so that each cut happens within a test; a lagging timer still closes within SLACK_MS more. */
const SHORT: ConnectionLimits = {
  // Long enough for the well-behaved device's own handshake and CONNECT on a loaded machine.
  handshakeTimeoutMs: 2_000,
  connectTimeoutMs: 2_000,
  maxPacketBeforeConnect: 4 * 1024,
  maxPacketAfterConnect: 64 * 1024,
  connectionsPerSource: undefined,
};
const SLACK_MS = 5_000;
let pki: ScenarioPki;
let broker: EmbeddedBroker;
const events: FleetEvent[] = [];

function config(limits: Partial<ConnectionLimits> = {}): BrokerConfig {
  return { ...brokerConfigFrom(scenario, pki, 7), connections: { ...SHORT, ...limits } };
}

/** Runs `act` and says how many connections the broker cut for `reason` meanwhile. */
async function cutsDuring(reason: ConnectionCutReason, act: () => Promise<void>, of: EmbeddedBroker = broker): Promise<number> {
  const before = of.stats().connectionsCut[reason];
  await act();
  return of.stats().connectionsCut[reason] - before;
}

const target = () => ({ host: broker.host, port: broker.port, pki });

/** Runs `act` against a broker of its own with these limits. */
async function withBroker(limits: Partial<ConnectionLimits>, act: (own: EmbeddedBroker) => Promise<void>): Promise<void> {
  const own = await startEmbeddedBroker(config(limits), () => undefined);
  own.setEpoch(...EPOCH);
  try {
    await act(own);
  } finally {
    await own.close();
  }
}

/** A device admitted over raw MQTT (CONNECT written by hand, CONNACK 0 read), for writing malformed packets after. */
async function admittedRawClient(clientId: string): Promise<Watched<TLSSocket>> {
  const client = await openTls(broker.port, deviceCredentials(pki, clientId, T0).secureContext);
  const connack = new Promise<Buffer>((resolve) => client.socket.once('data', resolve));
  client.socket.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive: 60, username: simTimeUsername(T0) }));
  // CONNACK, remaining length 2, no session, return code 0 (MQTT 3.1.1 3.2).
  expect([...(await connack)]).toEqual([0x20, 0x02, 0x00, 0x00]);
  return client;
}

beforeAll(async () => {
  pki = buildScenarioPki(scenario, 7);
  broker = await startEmbeddedBroker(config(), (event) => events.push(event));
  broker.setEpoch(...EPOCH);
});

afterAll(async () => {
  await broker.close();
});

describe('connections that never finish the TLS handshake', () => {
  it('300 TCP connections sending nothing and 100 sending 20 bytes of a ClientHello are all closed by the handshake timeout, while a device rotates', async () => {
    let rotation: Awaited<ReturnType<typeof connectAndRotate>> | undefined;
    const cut = await cutsDuring('handshake_timeout', async () => {
      const silent = await openTcpConnections(broker.port, 300);
      const partial = await openTcpConnections(broker.port, 100, { first: PARTIAL_CLIENT_HELLO });
      rotation = await connectAndRotate(target(), 'device-amid-handshakes', T0);
      await allClosed([...silent, ...partial], SHORT.handshakeTimeoutMs + SLACK_MS);
    });
    expect(rotation).toMatchObject({ ok: true });
    expect(cut).toBe(400);
    expect(events).toContainEqual(expect.objectContaining({ type: 'broker.connection-cut', reason: 'handshake_timeout', source: '127.0.0.1' }));
  });
});

describe('TLS connections that never send CONNECT', () => {
  it('are closed by the CONNECT timeout, with a client certificate or without one', async () => {
    const cut = await cutsDuring('connect_timeout', async () => {
      const anonymous = await openTls(broker.port);
      const device = await openTls(broker.port, deviceCredentials(pki, 'device-silent', T0).secureContext);
      await allClosed([anonymous, device], SHORT.connectTimeoutMs + SLACK_MS);
    });
    expect(cut).toBe(2);
  });
});

describe('packets over the size limit', () => {
  it('three CONNECTs announcing 268,435,455 bytes from clients without a certificate are cut off at once, and the broker buffers none of it', async () => {
    const announced = 268_435_455;
    // A CONNECT timeout long enough that only the size limit can stop the stream.
    await withBroker({ connectTimeoutMs: 30_000 }, async (own) => {
      const memoryBefore = process.memoryUsage().arrayBuffers;
      const written: number[] = [];
      const cut = await cutsDuring(
        'packet_too_large',
        async () => {
          const clients = await Promise.all([1, 2, 3].map(() => openTls(own.port)));
          const chunk = Buffer.alloc(1 << 20, 0x61);
          // A CONNECT (type 1) whose remaining length is the largest four bytes can say (MQTT 3.1.1 2.2.3), then its body.
          for (const client of clients) client.socket.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]));
          written.push(...(await Promise.all(clients.map((client) => stream(client, chunk, 64 << 20)))));
          await allClosed(clients, SLACK_MS);
        },
        own,
      );
      expect(cut).toBe(3);
      for (const bytes of written) expect(bytes).toBeLessThan(64 << 20);
      expect(process.memoryUsage().arrayBuffers - memoryBefore).toBeLessThan(announced / 8);
    });
  });
});

describe('malformed MQTT ends that connection only', () => {
  let bystander: Awaited<ReturnType<typeof dialAs>>;

  beforeAll(async () => {
    bystander = await dialAs(target(), 'device-bystander', deviceCredentials(pki, 'device-bystander', T0).secureContext, T0);
  });

  afterAll(async () => {
    if (bystander.ok) await bystander.session.close();
  });

  const cases: { name: string; reason: ConnectionCutReason | undefined; act: () => Promise<Watched<TLSSocket>> }[] = [
    {
      name: '4 KB of random bytes instead of CONNECT',
      reason: undefined,
      act: async () => {
        const client = await openTls(broker.port);
        client.socket.write(randomBytes(4096));
        return client;
      },
    },
    {
      name: 'a remaining length of five bytes after CONNECT',
      reason: 'protocol_error',
      act: async () => {
        const client = await admittedRawClient('device-absurd-length');
        client.socket.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]));
        return client;
      },
    },
    {
      name: 'a 100 KB PUBLISH on its own topic after CONNECT',
      reason: 'packet_too_large',
      act: async () => {
        const client = await admittedRawClient('device-oversized');
        const topic = deviceTopics('device-oversized').csr;
        client.socket.write(generate({ cmd: 'publish', topic, payload: Buffer.alloc(100 * 1024, 0x61), qos: 0, dup: false, retain: false }));
        return client;
      },
    },
    {
      name: 'one SUBSCRIBE with 10,000 topic filters',
      reason: 'packet_too_large',
      act: async () => {
        const client = await admittedRawClient('device-subscriber');
        const subscriptions = Array.from({ length: 10_000 }, (_, i) => ({ topic: `devices/device-${i}/#`, qos: 0 as const }));
        client.socket.write(generate({ cmd: 'subscribe', messageId: 1, subscriptions }));
        return client;
      },
    },
    {
      name: 'a second CONNECT [MQTT-3.1.0-2]',
      reason: 'protocol_error',
      act: async () => {
        const client = await admittedRawClient('device-twice');
        client.socket.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'device-twice', keepalive: 60 }));
        return client;
      },
    },
  ];

  it.each(cases)('$name', async ({ reason, act }) => {
    let closed = false;
    const cut = await cutsDuring(reason ?? 'protocol_error', async () => {
      closed = await closesWithin(await act(), SHORT.connectTimeoutMs + SLACK_MS);
    });
    expect(closed).toBe(true);
    if (reason) expect(cut).toBe(1);
    if (!bystander.ok) throw new Error(`the bystander could not connect: ${bystander.cause}`);
    await expect(bystander.session.subscribe(deviceTopics('device-bystander').subscription)).resolves.toBeUndefined();
  });

  it('10,000 SUBSCRIBEs to other devices\' topics are each refused, and the broker keeps serving', async () => {
    const client = await admittedRawClient('device-many-subscriptions');
    const denied = broker.stats().topicDenied;
    const subacks = new Promise<void>((resolve) => {
      let received = 0;
      client.socket.on('data', (data: Buffer) => {
        // SUBACK: 0x90, length 3, message id, return code; every one here is 0x80 (refused, MQTT 3.1.1 3.9.3).
        received += data.length;
        if (received >= 10_000 * 5) resolve();
      });
    });
    for (let i = 0; i < 10_000; i += 1) {
      client.socket.write(generate({ cmd: 'subscribe', messageId: (i % 65_535) + 1, subscriptions: [{ topic: `devices/device-${i}/#`, qos: 0 }] }));
    }
    await subacks;
    expect(broker.stats().topicDenied - denied).toBe(10_000);
    client.socket.destroy();
    expect(await connectAndRotate(target(), 'device-after-subscriptions', T0)).toMatchObject({ ok: true });
  });
});

describe('connections per source address', () => {
  it('a source over its limit is closed on arrival while a device from another address connects and rotates', async () => {
    await withBroker({ connectionsPerSource: 20, handshakeTimeoutMs: 30_000 }, async (own) => {
      const cut = await cutsDuring(
        'too_many_connections_from_source',
        async () => {
          const abusers = await openTcpConnections(own.port, 50, { localAddress: '127.0.0.2' });
          await closedCount(abusers, 30, SLACK_MS);
          expect(abusers.filter((a) => !a.isClosed())).toHaveLength(20);
          expect(await connectAndRotate({ host: own.host, port: own.port, pki }, 'device-next-door', T0)).toMatchObject({ ok: true });
          // Closed for their source, not counted as failed handshakes.
          expect(own.stats().tlsErrors).toBe(0);
          for (const abuser of abusers) abuser.socket.destroy();
        },
        own,
      );
      expect(cut).toBe(30);
    });
  });
});

describe('more connections than file descriptors', () => {
  it('a broker limited to 300 files reports 400 connections as file descriptors exhausted, does not crash, and serves a device once they are cut off', async () => {
    const handshakeTimeoutMs = 2_000;
    const child = await startBrokerProcess(config({ handshakeTimeoutMs }), { epoch: EPOCH, maxOpenFiles: 300 });
    try {
      const abusers = await openTcpConnections(child.port, 400);
      await allClosed(abusers, handshakeTimeoutMs + SLACK_MS);
      expect(child.exitCode()).toBeNull();
      const stats = await child.stats();
      expect(stats.connectionsCut.fd_exhausted).toBeGreaterThan(0);
      // Every connection is accounted for: held until its handshake timed out, or refused for want of a descriptor.
      expect(stats.connectionsCut.handshake_timeout).toBeGreaterThan(100);
      expect(stats.connectionsCut.fd_exhausted + stats.connectionsCut.handshake_timeout).toBe(400);
      expect(child.events).toContainEqual(
        expect.objectContaining({ type: 'broker.connection-cut', reason: 'fd_exhausted', detail: expect.stringMatching(/^file descriptors exhausted/) }),
      );
      expect(await connectAndRotate({ host: '127.0.0.1', port: child.port, pki }, 'device-after-exhaustion', T0)).toMatchObject({ ok: true });
      expect(child.exitCode()).toBeNull();
    } finally {
      await child.close();
    }
  });
});
