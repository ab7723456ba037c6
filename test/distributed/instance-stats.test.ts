import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerConfigFrom } from '../../broker/broker-config.js';
import { BrokerInstance } from '../../broker/instances/broker-instance.js';
import type { FromBrokerInstance } from '../../broker/instances/instance-protocol.js';
import { parseRedisUrl } from '../../sim/redis/redis-url.js';
import { buildScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { connectDevice, deviceIdentity } from '../support/mqtt-device.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { DAY } from '../support/time.js';
import { TINY_BROKER_T0 } from '../support/tiny-broker.js';
import { tinyScenario } from '../support/tiny-scenario.js';

type Stats = Extract<FromBrokerInstance, { type: 'stats' }>;

/**
 * A broker instance tells the coordinator its live sessions as they change, not only when an epoch ends: during a
 * connect storm or a long hold the coordinator's count (metrics, progress, the scale bench) is current, and an
 * instance that dies takes at most a second of counts with it.
 */
describe('a broker instance between epochs', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('sends its sessions when they change, with no epoch opened or ended', async () => {
    const scenario = tinyScenario();
    const pki = buildScenarioPki(scenario, 7);
    const received: FromBrokerInstance[] = [];
    const waitForStats = async (connected: number) => {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const last = received.filter((m): m is Stats => m.type === 'stats').at(-1);
        if (last?.stats.connected === connected) return last;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`no stats message with ${connected} connected; got ${JSON.stringify(received.map((m) => m.type))}`);
    };
    // Admissions come only once a device dials, after start() has resolved.
    const instance: BrokerInstance = await BrokerInstance.start(
      { type: 'start', instance: 0, config: brokerConfigFrom(scenario, pki, 7), port: 0, redis: parseRedisUrl(redis.url), channelPrefix: 'certfleet:run:instance-stats:broker' },
      (message) => {
        received.push(message);
        // The coordinator's verdict: admitted (this test is about counting, not judging).
        if (message.type === 'admit') instance.handle({ type: 'verdict', request: message.request });
      },
    );
    try {
      const ready = received.find((m): m is Extract<FromBrokerInstance, { type: 'ready' }> => m.type === 'ready');
      expect(ready).toBeDefined();
      const identity = deviceIdentity(pki, 'device-00000', { notBefore: TINY_BROKER_T0 - DAY, notAfter: TINY_BROKER_T0 + 30 * DAY });
      const outcome = await connectDevice({ host: '127.0.0.1', port: ready?.port ?? 0 }, identity, { clientId: 'device-00000' });
      expect(outcome.ok).toBe(true);
      expect((await waitForStats(1)).stats.connected).toBe(1);
      if (outcome.ok) await outcome.client.endAsync();
      expect((await waitForStats(0)).stats.connected).toBe(0);
      // Nothing but the admission, its close and the counts: no epoch was involved.
      expect(received.some((m) => m.type === 'done')).toBe(false);
    } finally {
      await instance.close();
    }
  }, 30_000);
});
