import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBrokerReachable } from '../../workers/broker-reachability.js';
import { startTinyBroker, type TinyBroker } from '../support/tiny-broker.js';

let tiny: TinyBroker;

beforeAll(async () => {
  tiny = await startTinyBroker();
});

afterAll(async () => {
  await tiny?.broker.close();
});

/** Opens a TCP connection to the broker, writes `bytes` (if any) and waits until the broker has closed it. */
async function dialAndClose(bytes?: Buffer): Promise<void> {
  const socket: Socket = connect(tiny.broker.port, tiny.broker.host);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () => {
      if (bytes) socket.write(bytes, () => socket.end());
      else socket.end();
    });
    socket.once('close', () => resolve());
  });
}

/** Waits until the broker has counted `n` TLS errors, or fails the test at its timeout. */
async function untilTlsErrors(n: number): Promise<void> {
  while (tiny.broker.stats().tlsErrors < n) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('a TCP connection that closes before its first byte', () => {
  it('is no TLS error (an agent\'s or a load balancer\'s port check), while one that closes half way through a ClientHello is', async () => {
    await checkBrokerReachable([{ host: tiny.broker.host, port: tiny.broker.port }]);
    await dialAndClose();
    // The start of a TLS record holding a ClientHello (RFC 8446 5.1), then nothing: a client gone mid-handshake.
    await dialAndClose(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc]));
    await untilTlsErrors(1);
    // The two silent closes came first, so by now they would have been counted too.
    expect(tiny.broker.stats().tlsErrors).toBe(1);
    const device = await tiny.device('device-after-checks');
    expect(device.connected).toBe(true);
    device.end(true);
  });
});
