import type { TLSSocket } from 'node:tls';
import { MqttFrameReader, type FrameVerdict } from './mqtt-frame-reader.js';

export interface PacketSizeGuard {
  /** The client is admitted: its packets may be as large as the after-CONNECT limit from now on. */
  admitted(): void;
}

/**
 * Closes a TLS connection as soon as its MQTT byte stream announces a packet over the limit (or a malformed remaining
 * length), before aedes or mqtt-packet buffers a byte of it: neither has a packet size limit, and mqtt-packet holds a
 * packet until all of its announced length (up to 256 MB) has arrived.
 *
 * The check sits where decrypted bytes enter the socket's read buffer (its `push`), so aedes keeps reading the
 * TLSSocket itself (admission reads the client certificate from it) and no byte reaches that buffer unchecked.
 */
export function guardPacketSizes(
  socket: TLSSocket,
  limits: { beforeConnect: number; afterConnect: number },
  onCut: (verdict: Exclude<FrameVerdict, { ok: true }>) => void,
): PacketSizeGuard {
  const reader = new MqttFrameReader(limits.beforeConnect);
  const push = socket.push.bind(socket);
  socket.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (!(chunk instanceof Uint8Array) || socket.destroyed) return push(chunk, encoding);
    const verdict = reader.read(chunk);
    if (verdict.ok) return push(chunk, encoding);
    onCut(verdict);
    socket.destroy();
    return false;
  };
  return { admitted: () => reader.setLimit(limits.afterConnect) };
}
