/**
 * Follows the MQTT framing of a byte stream as it arrives, without buffering it: reads each fixed header (one byte
 * of type and flags, then the remaining length, MQTT 3.1.1 2.2.3) and skips the announced number of bytes. So a
 * packet's size is known from its first bytes, and a connection announcing a packet over the limit can be closed
 * before anything buffers the packet (mqtt-packet waits for a whole packet, whatever its announced size).
 */
export type FrameVerdict = { ok: true } | { ok: false; reason: 'too_large'; announced: number } | { ok: false; reason: 'malformed' };

/** The largest remaining length four bytes can encode (MQTT 3.1.1 2.2.3: 268,435,455). */
const MAX_REMAINING_LENGTH = 268_435_455;

export class MqttFrameReader {
  /** Bytes of the current packet's body still to come. */
  #toSkip = 0;
  /** Inside a fixed header: the remaining length read so far, how many of its bytes, and the header's own length. */
  #inHeader = false;
  #length = 0;
  #lengthBytes = 0;
  #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** The largest packet (fixed header included) from now on; a packet whose header is read already keeps its verdict. */
  setLimit(limit: number): void {
    this.#limit = limit;
  }

  /** Reads the next chunk; the first verdict other than ok ends the stream (later chunks are not read). */
  read(chunk: Uint8Array): FrameVerdict {
    let i = 0;
    while (i < chunk.length) {
      if (this.#toSkip > 0) {
        const skipped = Math.min(this.#toSkip, chunk.length - i);
        this.#toSkip -= skipped;
        i += skipped;
        continue;
      }
      if (!this.#inHeader) {
        // The first byte: packet type and flags (mqtt-packet judges those); the remaining length follows.
        this.#inHeader = true;
        this.#length = 0;
        this.#lengthBytes = 0;
        i += 1;
        continue;
      }
      const byte = chunk[i] as number;
      i += 1;
      this.#length += (byte & 0x7f) * 128 ** this.#lengthBytes;
      this.#lengthBytes += 1;
      if (byte & 0x80) {
        // A fifth length byte is malformed (MQTT 3.1.1 2.2.3: at most four).
        if (this.#lengthBytes === 4) return { ok: false, reason: 'malformed' };
        continue;
      }
      this.#inHeader = false;
      const size = 1 + this.#lengthBytes + this.#length;
      if (this.#length > MAX_REMAINING_LENGTH || size > this.#limit) return { ok: false, reason: 'too_large', announced: size };
      this.#toSkip = this.#length;
    }
    return { ok: true };
  }
}
