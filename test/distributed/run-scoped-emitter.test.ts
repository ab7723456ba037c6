import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { RunScopedEmitter } from '../../broker/instances/run-scoped-emitter.js';
import { connectRedis } from '../../sim/redis/connect-redis.js';
import { parseRedisUrl } from '../../sim/redis/redis-url.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';

type Message = Parameters<RunScopedEmitter['emit']>[0];

/** The rejections nobody handled while `during` ran (and a moment after): each would end a broker instance. */
async function unhandledRejections(during: () => void | Promise<void>): Promise<unknown[]> {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    await during();
    await new Promise((resolve) => setTimeout(resolve, 300));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  return unhandled;
}

/** The routing between broker instances, on a real Redis server: two emitters stand for two instances. */
describe('the run-scoped emitter between broker instances', () => {
  let redis: TestRedis;
  const connections: Redis[] = [];
  const emitter = async (prefix: string) => {
    const address = parseRedisUrl(redis.url);
    const [subConn, pubConn] = await Promise.all([connectRedis(address, { role: 'test' }), connectRedis(address, { role: 'test' })]);
    connections.push(subConn, pubConn);
    return { emitter: new RunScopedEmitter(prefix, { subConn, pubConn }), subConn, pubConn };
  };
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(async () => {
    for (const connection of connections) connection.disconnect();
    await redis?.stop();
  });

  it("carries a device topic from one instance to another's matching filter, and nothing across runs", async () => {
    const [one, two, otherRun] = await Promise.all([emitter('certfleet:run:a:broker'), emitter('certfleet:run:a:broker'), emitter('certfleet:run:b:broker')]);
    const received: string[] = [];
    const leaked: string[] = [];
    await new Promise<void>((resolve) => two.emitter.on('devices/+/rotation/csr', (message, done) => (received.push(message.topic), done()), resolve));
    await new Promise<void>((resolve) => otherRun.emitter.on('devices/#', (message, done) => (leaked.push(message.topic), done()), resolve));
    await new Promise<void>((resolve, reject) => one.emitter.emit({ topic: 'devices/device-00001/rotation/csr', payload: 'x' }, (error) => (error ? reject(error) : resolve())));
    await new Promise<void>((resolve, reject) => one.emitter.emit({ topic: 'devices/device-00001/other', payload: 'y' }, (error) => (error ? reject(error) : resolve())));
    await expect.poll(() => received).toEqual(['devices/device-00001/rotation/csr']);
    expect(leaked).toEqual([]);
  });

  it('lets a message that no one waits for fail quietly when its connection has closed, as when an instance stops', async () => {
    const { emitter: closing, pubConn } = await emitter('certfleet:run:c:broker');
    const unhandled = await unhandledRejections(() => {
      pubConn.disconnect();
      // An aedes notice sent with no callback: mqemitter-redis would throw its failure from inside a promise.
      closing.emit({ topic: '$SYS/instance/new/clients', payload: 'x' } as Message);
    });
    expect(unhandled).toEqual([]);
  });

  it("survives an error on one of its connections (a write as the socket closes): Redis lost is the connection's to tell", async () => {
    const { subConn, pubConn } = await emitter('certfleet:run:e:broker');
    const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    expect(() => pubConn.emit('error', epipe)).not.toThrow();
    expect(() => subConn.emit('error', epipe)).not.toThrow();
  });

  it('closes when Redis goes before answering its QUIT, with no unhandled rejection', async () => {
    const own = await startTestRedis();
    try {
      const address = parseRedisUrl(own.url);
      const [subConn, pubConn] = await Promise.all([connectRedis(address, { role: 'test' }), connectRedis(address, { role: 'test' })]);
      const closing = new RunScopedEmitter('certfleet:run:d:broker', { subConn, pubConn });
      let closed = false;
      const unhandled = await unhandledRejections(async () => {
        // Redis stops answering, the QUITs go out, then Redis is gone: ioredis rejects them ("Connection is closed.").
        own.process.kill('SIGSTOP');
        closing.close(() => (closed = true));
        await new Promise((resolve) => setTimeout(resolve, 100));
        await own.stop();
      });
      expect(unhandled).toEqual([]);
      expect(closed).toBe(true);
    } finally {
      await own.stop();
    }
  });
});
