import { describe, expect, it } from 'vitest';
import { ConnectRateLimiter } from '../../broker/limits/connect-rate-limiter.js';
import { ServiceQueue } from '../../broker/limits/service-queue.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');

describe('the connect rate limiter in simulated time', () => {
  it('admits N CONNECTs per simulated second per key and refuses the rest of that second', () => {
    const limiter = new ConnectRateLimiter(3);
    const results = [0, 100, 200, 300, 999].map((ms) => limiter.tryAcquire('a', T0 + ms));
    expect(results).toEqual([true, true, true, false, false]);
    expect(limiter.tryAcquire('a', T0 + 1000)).toBe(true);
    expect(limiter.tryAcquire('b', T0 + 300)).toBe(true);
  });

  it('a limit of one per second for a client id refuses its second CONNECT in the same second', () => {
    const limiter = new ConnectRateLimiter(1);
    expect(limiter.tryAcquire('sensor-01', T0)).toBe(true);
    expect(limiter.tryAcquire('sensor-01', T0 + 500)).toBe(false);
    expect(limiter.tryAcquire('sensor-01', T0 + 1500)).toBe(true);
  });
});

describe('the CA issuance queue', () => {
  it('serves 15 requests per simulated second first come first served, so a burst drains over time', () => {
    const queue = new ServiceQueue(15);
    const served = Array.from({ length: 30 }, () => queue.serve(T0));
    expect(served[0]).toBe(T0);
    expect(served[14]).toBe(T0 + Math.round((14 * 1000) / 15));
    expect(served[29]).toBe(T0 + Math.round((29 * 1000) / 15));
  });

  it('serves a request that arrives after the backlog drained at its own time', () => {
    const queue = new ServiceQueue(10);
    queue.serve(T0);
    expect(queue.serve(T0 + 5000)).toBe(T0 + 5000);
  });
});
