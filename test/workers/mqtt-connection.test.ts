import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HarnessStalledError } from '../../sim/harness/harness-stalled-error.js';
import { ConnectionRefusedError, MqttConnection } from '../../workers/mqtt/mqtt-connection.js';

// A real aedes broker on loopback (plain TCP: TLS is the dialer's business, this is the MQTT part only).
let broker: Aedes;
let server: Server;
let port: number;
const disconnected: string[] = [];

beforeAll(async () => {
  broker = await Aedes.createBroker({
    authenticate: (client, username, _password, done) => {
      if (username === 'refuse') {
        const error = new Error('no') as AuthenticateError;
        error.returnCode = 5;
        done(error, false);
      } else done(null, true);
    },
    // A null subscription is a refusal: aedes answers 0x80 for it in the SUBACK.
    authorizeSubscribe: (client, subscription, done) => done(null, subscription.topic.startsWith(`own/${client.id}`) ? subscription : null),
  });
  broker.on('clientDisconnect', (client: Client) => disconnected.push(client.id));
  server = createServer((socket) => broker.handle(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.close();
  await new Promise<void>((resolve) => broker.close(() => resolve()));
});

async function open(clientId: string, username?: string): Promise<{ connection: MqttConnection; socket: Socket }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  return { connection: new MqttConnection(socket, { clientId, username, connackTimeoutMs: 5_000 }), socket };
}

describe('the device-side MQTT 3.1.1 connection', () => {
  it('connects, subscribes, receives what the broker publishes, and disconnects cleanly', async () => {
    const { connection, socket } = await open('dev-1', 'sim:1');
    await connection.connected;
    const received: { topic: string; payload: string }[] = [];
    connection.onPublish((topic, payload) => received.push({ topic, payload: payload.toString() }));
    expect(await connection.subscribe(['own/dev-1/#'])).toEqual([0]);
    await new Promise<void>((resolve) => broker.publish({ cmd: 'publish', topic: 'own/dev-1/x', payload: Buffer.from('hello'), qos: 0, retain: false, dup: false }, () => resolve()));
    await expect.poll(() => received).toEqual([{ topic: 'own/dev-1/x', payload: 'hello' }]);
    let ended = 0;
    connection.onEnd(() => (ended += 1));
    // disconnect() resolves once the broker has closed the connection [MQTT-3.14.4-1], not when the bytes are written.
    await connection.disconnect();
    expect(socket.destroyed).toBe(true);
    expect(ended).toBe(1);
    expect(connection.ended).toBe(true);
    await expect.poll(() => disconnected).toContain('dev-1');
    expect(await connection.publish('own/dev-1/y', 'late')).toBe(false);
  });

  it('reports a refused subscription as 0x80 in the SUBACK [MQTT-3.9.3]', async () => {
    const { connection } = await open('dev-2');
    await connection.connected;
    expect(await connection.subscribe(['own/dev-2/#', 'own/someone-else/#'])).toEqual([0, 0x80]);
    await connection.disconnect();
  });

  it('rejects with the CONNACK return code when the broker refuses the client', async () => {
    const { connection } = await open('dev-3', 'refuse');
    const refusal = await connection.connected.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(ConnectionRefusedError);
    expect((refusal as ConnectionRefusedError).code).toBe(5);
    await expect.poll(() => connection.ended).toBe(true);
  });

  it('ends the session, once, when the broker drops it, and answers a pending SUBSCRIBE with undefined', async () => {
    const { connection } = await open('dev-4');
    await connection.connected;
    let ended = 0;
    connection.onEnd(() => (ended += 1));
    // A second client with the same id takes the session over (MQTT 3.1.1 3.1.4-2): the broker closes the first.
    const { connection: usurper } = await open('dev-4');
    await usurper.connected;
    await expect.poll(() => ended).toBe(1);
    expect(await connection.subscribe(['own/dev-4/#'])).toBeUndefined();
    await usurper.disconnect();
  });

  it('gives up when no CONNACK arrives in time', async () => {
    // A listener that accepts and says nothing.
    const silent = createServer(() => undefined);
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const socket = connect((silent.address() as AddressInfo).port, '127.0.0.1');
    await once(socket, 'connect');
    const connection = new MqttConnection(socket, { clientId: 'dev-5', connackTimeoutMs: 100 });
    // A silent broker on loopback is a stalled harness, never a device's cause.
    await expect(connection.connected).rejects.toThrow(/no CONNACK within 100 ms/);
    await expect(connection.connected).rejects.toBeInstanceOf(HarnessStalledError);
    expect(connection.ended).toBe(true);
    silent.close();
  });

  it('ends the session on a malformed packet from the broker [MQTT-4.8.0-1]', async () => {
    // Answers CONNECT with packet type 0, which MQTT 3.1.1 2.2.1 reserves.
    const rogue = createServer((socket) => socket.once('data', () => socket.write(Buffer.from([0x00, 0x00]))));
    rogue.listen(0, '127.0.0.1');
    await once(rogue, 'listening');
    const socket = connect((rogue.address() as AddressInfo).port, '127.0.0.1');
    await once(socket, 'connect');
    const connection = new MqttConnection(socket, { clientId: 'dev-6', connackTimeoutMs: 5_000 });
    await expect(connection.connected).rejects.toThrow(/closed before CONNACK/);
    expect(connection.ended).toBe(true);
    rogue.close();
  });
});
