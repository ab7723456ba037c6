import { afterEach, describe, expect, it } from 'vitest';
import { connectRedis, RedisUnavailableError } from '../../sim/redis/connect-redis.js';
import { parseRedisUrl, RedisUrlError } from '../../sim/redis/redis-url.js';
import { freeLoopbackPort, startTestRedis, type TestRedis } from '../support/redis-server.js';

describe('the Redis that joins a run', () => {
  let redis: TestRedis | undefined;
  afterEach(async () => {
    await redis?.stop();
    redis = undefined;
  });

  it('reads host, port and database from a redis:// URL, and names the flag and what was expected otherwise', () => {
    expect(parseRedisUrl('redis://10.0.0.1:6380/2')).toMatchObject({ host: '10.0.0.1', port: 6380, db: 2, tls: false });
    expect(parseRedisUrl('redis://[fd00::1]')).toMatchObject({ host: 'fd00::1', port: 6379, db: 0 });
    expect(() => parseRedisUrl('http://10.0.0.1:6379')).toThrow(RedisUrlError);
    expect(() => parseRedisUrl('10.0.0.1:6379')).toThrow(/--redis: .*expected redis:\/\/HOST:PORT/);
  });

  it('answers commands from a real redis-server', async () => {
    redis = await startTestRedis();
    const client = await connectRedis(parseRedisUrl(redis.url), { role: 'a test' });
    await client.set('certfleet:test', 'x');
    expect(await client.get('certfleet:test')).toBe('x');
    client.disconnect();
  });

  it('says which server could not be reached instead of retrying forever', async () => {
    const port = await freeLoopbackPort();
    const error = await connectRedis(parseRedisUrl(`redis://127.0.0.1:${port}`), { role: 'the coordinator', giveUpAfterMs: 500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect((error as Error).message).toContain(`Redis at redis://127.0.0.1:${port} (the coordinator): cannot connect`);
  });

  it('tells its holder once when the server goes away, and fails the commands that wait', async () => {
    redis = await startTestRedis();
    const gone: Error[] = [];
    const client = await connectRedis(parseRedisUrl(redis.url), { role: 'agent 0', giveUpAfterMs: 500, onGone: (e) => gone.push(e) });
    await redis.stop();
    redis = undefined;
    await expect(client.get('certfleet:test')).rejects.toThrow();
    await expect.poll(() => gone.length, { timeout: 5_000 }).toBe(1);
    expect(gone[0]?.message).toMatch(/^Redis at redis:\/\/127\.0\.0\.1:\d+ \(agent 0\): unreachable for 0.5 s/);
  });
});
