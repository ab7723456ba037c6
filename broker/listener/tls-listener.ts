import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { createServer, type Server, type TlsOptions, type TLSSocket } from 'node:tls';
import type { Aedes, Client } from 'aedes';
import type { ConnectionCutReason } from '../../sim/stats/broker-stats.js';
import type { ConnectionLimits } from './connection-limits.js';
import { connectionCapFor, openFileLimit } from './open-file-limit.js';
import { guardPacketSizes, type PacketSizeGuard } from './packet-size-guard.js';
import { SourceConnections } from './source-connections.js';

export interface TlsListenerOptions {
  host: string;
  port: number;
  /** Certificates, SNI and client-certificate options of the TLS server. */
  tls: TlsOptions;
  limits: ConnectionLimits;
  /** Created with `connectTimeout: limits.connectTimeoutMs`; the listener hands it each secured connection. */
  broker: Aedes;
  /** A connection was cut off (or, for fd_exhausted, could not be accepted); `source` is the peer's address. */
  onCut: (reason: ConnectionCutReason, source: string) => void;
  /**
   * A handshake failed for another reason than its timeout (a bad ClientHello, an alert, a reset), with Node's error
   * and the peer's address ('unknown' for an accept that failed before there was a peer).
   */
  onTlsError: (error: NodeJS.ErrnoException, source: string) => void;
}

export interface TlsListener {
  readonly server: Server;
  readonly port: number;
  /** Stops accepting, and closes every connection still open (handshakes included). */
  close(): void;
}

const CONNECT_TIMEOUT = 'connect did not arrive in time';
/**
 * Malformed MQTT as mqtt-packet words it ("Invalid variable byte integer", "Malformed Subscribe Payload", ...), the
 * "Invalid protocol" of aedes for a packet before CONNECT [MQTT-3.1.0-1] or a second CONNECT [MQTT-3.1.0-2], and
 * topics MQTT forbids (4.7). Refusals by admission or topic policy are counted where they are decided, not here.
 */
const PROTOCOL_ERROR = /^(Invalid|Malformed|Cannot parse|Not supported|Packet|Unknown property|Will|Connect flag)|not allowed|too many levels/;

/**
 * The broker's TLS listener, with the limits that keep abusive or broken clients from holding its sockets, memory
 * and file descriptors: connections per source address, a TLS handshake timeout, a CONNECT timeout (aedes), packet
 * sizes before and after admission, and a cap on connections below the open-file limit, so that running out of file
 * descriptors is reported (fd_exhausted) instead of thrown or passed over in silence.
 */
export async function startTlsListener(options: TlsListenerOptions): Promise<TlsListener> {
  const { limits, broker, onCut } = options;
  const sources = new SourceConnections(limits.connectionsPerSource);
  const open = new Set<Socket>();
  const guards = new WeakMap<object, PacketSizeGuard>();

  const server: Server = createServer({ ...options.tls, handshakeTimeout: limits.handshakeTimeoutMs });
  const cap = connectionCapFor(openFileLimit());
  if (cap !== undefined) server.maxConnections = cap;
  server.on('drop', (dropped?: { remoteAddress?: string }) => onCut('fd_exhausted', dropped?.remoteAddress ?? 'unknown'));
  /** Connections closed for their source whose TLS socket has yet to report the reset (not a TLS error). */
  let sourceCutsToReport = 0;
  server.on('connection', (raw: Socket) => {
    const source = raw.remoteAddress ?? 'unknown';
    if (!sources.open(source)) {
      onCut('too_many_connections_from_source', source);
      sourceCutsToReport += 1;
      raw.destroy();
      return;
    }
    open.add(raw);
    raw.once('close', () => {
      open.delete(raw);
      sources.close(source);
    });
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    // Nagle plus delayed ACKs would add ~40 ms to every CONNACK and CSR reply.
    socket.setNoDelay(true);
    const source = socket.remoteAddress ?? 'unknown';
    const guard = guardPacketSizes(
      socket,
      { beforeConnect: limits.maxPacketBeforeConnect, afterConnect: limits.maxPacketAfterConnect },
      (verdict) => onCut(verdict.reason === 'too_large' ? 'packet_too_large' : 'protocol_error', source),
    );
    guards.set(socket, guard);
    broker.handle(socket);
  });
  server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
    // Node reports a handshake timeout here but leaves the socket open while a listener exists: close it.
    if (error.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') onCut('handshake_timeout', socket.remoteAddress ?? 'unknown');
    else if (error.code === 'ECONNRESET' && sourceCutsToReport > 0) sourceCutsToReport -= 1;
    else if (error.code === 'ECONNRESET' && closedSilently(socket)) {
      // A TCP connection closed before its first byte: a port check (an agent's, a load balancer's), not a TLS client.
    } else options.onTlsError(error, socket.remoteAddress ?? 'unknown');
    socket.destroy();
  });

  // aedes emits 'client' before it writes CONNACK 0, so the larger limit is in place before the client can use it.
  broker.on('client', (client: Client) => guards.get(client.conn)?.admitted());
  const onClientError = (client: Client, error: Error) => {
    const source = (client.conn as Partial<TLSSocket>).remoteAddress ?? 'unknown';
    if (error.message === CONNECT_TIMEOUT) onCut('connect_timeout', source);
    else if (PROTOCOL_ERROR.test(error.message)) onCut('protocol_error', source);
  };
  broker.on('connectionError', onClientError);
  broker.on('clientError', onClientError);

  const listening = once(server, 'listening');
  server.listen(options.port, options.host);
  await listening;
  server.on('error', (error: NodeJS.ErrnoException) => {
    // An accept that failed for want of a descriptor (when libuv's EMFILE trick could not close it quietly): Node
    // would throw it as an unhandled 'error' and end the process.
    if (error.code === 'EMFILE' || error.code === 'ENFILE') onCut('fd_exhausted', 'unknown');
    else options.onTlsError(error, 'unknown');
  });

  return {
    server,
    port: (server.address() as AddressInfo).port,
    close() {
      server.close();
      for (const socket of open) socket.destroy();
    },
  };
}

/**
 * Whether the TCP connection under a server-side TLS socket closed without sending a byte (no ClientHello). Node keeps
 * that connection as the TLS socket's `_parent` (lib/_tls_wrap.js); without it, the close counts as a TLS error.
 */
function closedSilently(socket: TLSSocket): boolean {
  const tcp = (socket as TLSSocket & { _parent?: Socket | null })._parent;
  return tcp !== undefined && tcp !== null && tcp.bytesRead === 0;
}
