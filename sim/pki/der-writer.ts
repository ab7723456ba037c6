/**
 * A small DER (X.690) writer: just the types X.509, PKCS#10 and CRLs need.
 *
 * Every helper returns a complete TLV. Constructed values are written into one buffer sized up front
 * (header + parts), so building a certificate costs one allocation per TLV and no intermediate concatenation.
 * Returned buffers may come from Node's shared pool: copy with `Buffer.from` before handing
 * `.buffer` to an API that reads the whole ArrayBuffer; `ownedSequence` does that for finished structures.
 */

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

// X.690 8.1.3: short form below 128, otherwise 0x80|n followed by n big-endian length octets (DER: minimal n).
function lengthOctets(length: number): number {
  if (length < 0x80) return 1;
  if (length < 0x100) return 2;
  if (length < 0x10000) return 3;
  if (length < 0x1000000) return 4;
  return 5;
}

function writeHeader(out: Buffer, tag: number, length: number): number {
  out[0] = tag;
  const n = lengthOctets(length);
  if (n === 1) {
    out[1] = length;
  } else {
    out[1] = 0x80 | (n - 1);
    for (let i = n - 1, v = length; i >= 1; i--, v = Math.floor(v / 256)) out[1 + i] = v & 0xff;
  }
  return 1 + n;
}

/** The length octets alone (X.690 8.1.3). */
export function encodeLength(length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0 || length > 0xffffffff) throw new RangeError(`DER length out of range: ${length}`);
  const out = Buffer.allocUnsafe(1 + lengthOctets(length));
  writeHeader(out, 0, length);
  return out.subarray(1);
}

function build(tag: number, parts: readonly Buffer[], owned: boolean): Buffer {
  let length = 0;
  for (const p of parts) length += p.length;
  const size = 1 + lengthOctets(length) + length;
  const out = owned ? Buffer.allocUnsafeSlow(size) : Buffer.allocUnsafe(size);
  let offset = writeHeader(out, tag, length);
  for (const p of parts) offset += p.copy(out, offset);
  return out;
}

/** One TLV from a tag (low-tag-number form, X.690 8.1.2.2) and its content parts. */
export function tlv(tag: number, ...parts: readonly Buffer[]): Buffer {
  return build(tag, parts, false);
}

/** A SEQUENCE in its own ArrayBuffer (not Node's shared pool), for finished structures: `der.buffer` is exactly it. */
export function ownedSequence(...parts: readonly Buffer[]): Buffer {
  return build(TAG.SEQUENCE, parts, true);
}

export function sequence(...parts: readonly Buffer[]): Buffer {
  return tlv(TAG.SEQUENCE, ...parts);
}

/** X.690 11.6: DER sorts SET OF elements by their encodings; the callers here pass one element or sorted ones. */
export function set(...parts: readonly Buffer[]): Buffer {
  return tlv(TAG.SET, ...parts);
}

/**
 * X.690 8.3: INTEGER content from an unsigned big-endian magnitude: leading zero octets removed, one 0x00 added
 * when the high bit is set so the value stays positive (minimal two's complement, X.690 8.3.2).
 */
export function unsignedIntegerContent(magnitude: Buffer): Buffer {
  if (magnitude.length === 0) return Buffer.from([0]);
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  if ((trimmed[0] as number) & 0x80) {
    const out = Buffer.allocUnsafe(trimmed.length + 1);
    out[0] = 0;
    trimmed.copy(out, 1);
    return out;
  }
  return trimmed;
}

const SMALL_INTEGERS: Buffer[] = [];

/** INTEGER from a non-negative safe integer or an unsigned big-endian magnitude. */
export function integer(value: number | Buffer): Buffer {
  if (Buffer.isBuffer(value)) return tlv(TAG.INTEGER, unsignedIntegerContent(value));
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`DER INTEGER must be a non-negative safe integer: ${value}`);
  const cached = value < 128 ? SMALL_INTEGERS[value] : undefined;
  if (cached) return cached;
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  const out = tlv(TAG.INTEGER, unsignedIntegerContent(Buffer.from(bytes)));
  if (value < 128) SMALL_INTEGERS[value] = out;
  return out;
}

const OID_CACHE = new Map<string, Buffer>();

/** X.690 8.19: OBJECT IDENTIFIER; first octet 40*arc0+arc1, then base-128 arcs. Encodings are cached. */
export function oid(dotted: string): Buffer {
  const cached = OID_CACHE.get(dotted);
  if (cached) return cached;
  const arcs = dotted.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  const [a0, a1] = arcs;
  if (arcs.length < 2 || a0 === undefined || a1 === undefined || arcs.some((a) => !Number.isSafeInteger(a)) || a0 > 2 || (a0 < 2 && a1 > 39)) {
    throw new Error(`invalid OBJECT IDENTIFIER: "${dotted}"`);
  }
  const bytes: number[] = [];
  for (const arc of [a0 * 40 + a1, ...arcs.slice(2)]) {
    const group: number[] = [arc % 128];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) group.unshift((v % 128) | 0x80);
    bytes.push(...group);
  }
  const out = tlv(TAG.OID, Buffer.from(bytes));
  OID_CACHE.set(dotted, out);
  return out;
}

// X.690 11.1: DER BOOLEAN TRUE is 0xFF.
const TRUE = Buffer.from([TAG.BOOLEAN, 1, 0xff]);
const FALSE = Buffer.from([TAG.BOOLEAN, 1, 0x00]);
const NULL_TLV = Buffer.from([TAG.NULL, 0]);

export function boolean(value: boolean): Buffer {
  return value ? TRUE : FALSE;
}

export function nullValue(): Buffer {
  return NULL_TLV;
}

/** X.690 8.6: BIT STRING; the first content octet counts the unused bits of the last octet. */
export function bitString(bytes: Buffer, unusedBits = 0): Buffer {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7 || (bytes.length === 0 && unusedBits !== 0)) {
    throw new RangeError(`invalid BIT STRING unused bit count: ${unusedBits}`);
  }
  return tlv(TAG.BIT_STRING, Buffer.from([unusedBits]), bytes);
}

export function octetString(bytes: Buffer): Buffer {
  return tlv(TAG.OCTET_STRING, bytes);
}

export function utf8String(text: string): Buffer {
  return tlv(TAG.UTF8_STRING, Buffer.from(text, 'utf8'));
}

// X.680 41.4: the PrintableString character set.
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

export function printableString(text: string): Buffer {
  if (!PRINTABLE.test(text)) throw new Error(`not a PrintableString: "${text}"`);
  return tlv(TAG.PRINTABLE_STRING, Buffer.from(text, 'latin1'));
}

/** IA5String content octets (ASCII), for use under an IMPLICIT tag such as dNSName. */
export function ia5Bytes(text: string): Buffer {
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7f]*$/.test(text)) throw new Error(`not an IA5String: "${text}"`);
  return Buffer.from(text, 'latin1');
}

export function ia5String(text: string): Buffer {
  return tlv(TAG.IA5_STRING, ia5Bytes(text));
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/**
 * RFC 5280 4.1.2.5: UTCTime (YYMMDDHHMMSSZ) for 1950-2049, GeneralizedTime (YYYYMMDDHHMMSSZ) from 2050 and
 * before 1950; always Zulu, seconds precision, no fractions (4.1.2.5.1, 4.1.2.5.2). Milliseconds are floored.
 */
export function time(ms: number): Buffer {
  if (!Number.isFinite(ms)) throw new RangeError(`invalid time: ${ms}`);
  const d = new Date(Math.floor(ms / 1000) * 1000);
  const year = d.getUTCFullYear();
  if (Number.isNaN(year) || year < 0 || year > 9999) throw new RangeError(`time outside years 0000-9999: ${ms}`);
  const rest = pad(d.getUTCMonth() + 1, 2) + pad(d.getUTCDate(), 2) + pad(d.getUTCHours(), 2) + pad(d.getUTCMinutes(), 2) + pad(d.getUTCSeconds(), 2) + 'Z';
  if (year >= 1950 && year <= 2049) return tlv(TAG.UTC_TIME, Buffer.from(pad(year % 100, 2) + rest, 'latin1'));
  return tlv(TAG.GENERALIZED_TIME, Buffer.from(pad(year, 4) + rest, 'latin1'));
}

/** X.690 8.14: [n] EXPLICIT wraps a complete TLV in a constructed context-specific tag. */
export function explicit(tagNumber: number, ...inner: readonly Buffer[]): Buffer {
  return tlv(contextTag(tagNumber, true), ...inner);
}

/** X.690 8.14: [n] IMPLICIT replaces the tag of `content`'s type; pass the content octets, not a TLV. */
export function implicit(tagNumber: number, content: Buffer, constructed = false): Buffer {
  return tlv(contextTag(tagNumber, constructed), content);
}

function contextTag(tagNumber: number, constructed: boolean): number {
  if (!Number.isInteger(tagNumber) || tagNumber < 0 || tagNumber > 30) throw new RangeError(`context tag out of range: ${tagNumber}`);
  return 0x80 | (constructed ? 0x20 : 0) | tagNumber;
}
