import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { checkBrokerReachable } from '../../workers/broker-reachability.js';
import { freeLoopbackPort } from '../support/redis-server.js';

describe('an agent\'s check that it can reach the broker it was told to dial', () => {
  it('passes when every address takes a TCP connection', async () => {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      await expect(checkBrokerReachable([{ host: '127.0.0.1', port }, { host: '127.0.0.1', port }])).resolves.toBeUndefined();
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('names the address, the error, and for loopback that only the coordinator\'s host reaches it', async () => {
    const port = await freeLoopbackPort();
    await expect(checkBrokerReachable([{ host: '127.0.0.1', port }])).rejects.toThrow(
      `cannot reach the broker at 127.0.0.1:${port} (ECONNREFUSED); 127.0.0.1 is loopback: only the coordinator's own host reaches it, so give certfleet run --listen (an address of its host, or 0.0.0.0 with --advertise)`,
    );
  });
});
