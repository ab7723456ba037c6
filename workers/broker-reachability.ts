import { Socket } from 'node:net';

/** A device host (an agent) cannot open a TCP connection to the broker it was told to dial. */
export class BrokerUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokerUnreachableError';
  }
}

/** How long a TCP connect to the broker may take before the host gives up on it (a firewall that drops packets). */
export const BROKER_REACH_TIMEOUT_MS = 10_000;

/**
 * Opens and closes one TCP connection to each broker address, before any device dials: an agent on another host that
 * was given an address it cannot reach (a broker on the coordinator's loopback, a firewall) says so at once, naming
 * the address and the error, instead of counting every device's connect as failed or waiting for the harness guard.
 */
export async function checkBrokerReachable(addresses: readonly { host: string; port: number }[], timeoutMs = BROKER_REACH_TIMEOUT_MS): Promise<void> {
  const distinct = [...new Map(addresses.map((a) => [`${a.host}:${a.port}`, a])).values()];
  await Promise.all(distinct.map((address) => reach(address, timeoutMs)));
}

function reach(address: { host: string; port: number }, timeoutMs: number): Promise<void> {
  const where = address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const fail = (why: string) => {
      socket.destroy();
      const loopback = /^127\.|^::1$|^localhost$/i.test(address.host)
        ? `; ${address.host} is loopback: only the coordinator's own host reaches it, so give certfleet run --listen (an address of its host, or 0.0.0.0 with --advertise)`
        : '';
      reject(new BrokerUnreachableError(`cannot reach the broker at ${where} (${why})${loopback}`));
    };
    socket.setTimeout(timeoutMs, () => fail(`no answer within ${Math.round(timeoutMs / 1000)} s`));
    socket.once('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
    socket.connect(address.port, address.host, () => {
      socket.destroy();
      resolve();
    });
  });
}
