/**
 * Clients that misbehave on the network, for tests of the broker's connection limits: TCP connections that never
 * finish (or never start) a TLS handshake, and TLS connections that write raw bytes instead of well-formed MQTT.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type SecureContext, type TLSSocket } from 'node:tls';

/** A socket and when it closed (by either side). */
export interface Watched<S extends Socket> {
  socket: S;
  closed: Promise<void>;
  isClosed(): boolean;
}

function watch<S extends Socket>(socket: S): Watched<S> {
  let closed = false;
  socket.on('error', () => undefined);
  const done = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closed = true;
      resolve();
    }),
  );
  return { socket, closed: done, isClosed: () => closed };
}

/** The first 20 bytes of a TLS 1.2 ClientHello record: a handshake that starts and never goes on. */
export const PARTIAL_CLIENT_HELLO = Buffer.from('16030100c4010000c00303a1b2c3d4e5f60718293a', 'hex').subarray(0, 20);

/** Opens `count` TCP connections that send `first` (or nothing) and then wait; resolves once all are open or refused. */
export async function openTcpConnections(
  port: number,
  count: number,
  options: { first?: Buffer; localAddress?: string } = {},
): Promise<Watched<Socket>[]> {
  const opening = Array.from({ length: count }, () => {
    const watched = watch(netConnect({ host: '127.0.0.1', port, ...(options.localAddress ? { localAddress: options.localAddress } : {}) }));
    return new Promise<Watched<Socket>>((resolve) => {
      watched.socket.once('connect', () => {
        if (options.first) watched.socket.write(options.first);
        resolve(watched);
      });
      void watched.closed.then(() => resolve(watched));
    });
  });
  return Promise.all(opening);
}

/** Resolves when every socket has closed; rejects after `withinMs` naming how many are still open. */
export function allClosed(sockets: readonly Watched<Socket>[], withinMs: number): Promise<void> {
  return closedCount(sockets, sockets.length, withinMs);
}

/** Resolves when `count` of the sockets have closed; rejects after `withinMs` naming how many are still open. */
export async function closedCount(sockets: readonly Watched<Socket>[], count: number, withinMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let closed = sockets.filter((s) => s.isClosed()).length;
  const enough = new Promise<void>((resolve) => {
    if (closed >= count) resolve();
    for (const socket of sockets) {
      void socket.closed.then(() => {
        closed += 1;
        if (closed >= count) resolve();
      });
    }
  });
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${sockets.length - closed} of ${sockets.length} connections still open after ${withinMs} ms`)), withinMs);
  });
  try {
    await Promise.race([enough, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A finished TLS handshake (with a client certificate, or none), ready for raw MQTT bytes. */
export function openTls(port: number, secureContext?: SecureContext): Promise<Watched<TLSSocket>> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, ...(secureContext ? { secureContext } : {}) });
    socket.once('secureConnect', () => resolve(watch(socket)));
    socket.once('error', reject);
  });
}

/**
 * Writes `chunk` again and again (up to `total` bytes) as fast as the peer reads it; stops when the peer closes.
 * Returns the bytes written (or queued) before it did.
 */
export async function stream(watched: Watched<TLSSocket>, chunk: Buffer, total: number): Promise<number> {
  const { socket } = watched;
  let written = 0;
  while (written < total && !watched.isClosed() && socket.writable) {
    const flushed = socket.write(chunk);
    written += chunk.length;
    if (!flushed) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), watched.closed]);
  }
  return written;
}

/** Resolves true when the socket closes within `withinMs`, false otherwise (the socket is left open). */
export async function closesWithin(watched: Watched<Socket>, withinMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), withinMs);
  });
  const result = await Promise.race([watched.closed.then(() => true), late]);
  clearTimeout(timer);
  return result;
}
