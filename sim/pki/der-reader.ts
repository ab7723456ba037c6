/**
 * A minimal DER (X.690) reader: enough to walk CSRs, certificates, names and extensions.
 * Slices share memory with the input (no copies). Anything that is not valid DER throws a `DerError`.
 */

export class DerError extends Error {
  override readonly name = 'DerError';
}

/** One decoded TLV. `raw` is the whole element (header + content), `content` the value octets. */
export interface Tlv {
  tag: number;
  /** Offset of the element in the buffer it was read from. */
  offset: number;
  /** Offset just past the element. */
  end: number;
  content: Buffer;
  raw: Buffer;
}

/** Reads the element starting at `offset`; it must end within `buf`. */
export function readTlv(buf: Buffer, offset = 0, what = 'DER element'): Tlv {
  if (offset >= buf.length) throw new DerError(`${what}: truncated (no tag at offset ${offset})`);
  const tag = buf[offset] as number;
  // X.690 8.1.2.4: tag number 31 announces the high-tag-number form, which nothing here uses.
  if ((tag & 0x1f) === 0x1f) throw new DerError(`${what}: high tag number form is not supported (tag 0x${tag.toString(16)})`);
  if (offset + 1 >= buf.length) throw new DerError(`${what}: truncated (no length at offset ${offset + 1})`);
  const first = buf[offset + 1] as number;
  let length: number;
  let header: number;
  if (first < 0x80) {
    length = first;
    header = 2;
  } else {
    const n = first & 0x7f;
    // X.690 10.1: DER forbids the indefinite form (0x80); lengths above 4 GiB are not plausible here.
    if (n === 0) throw new DerError(`${what}: indefinite length is not DER`);
    if (n > 4) throw new DerError(`${what}: length of ${n} octets is too large`);
    if (offset + 2 + n > buf.length) throw new DerError(`${what}: truncated length octets`);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (buf[offset + 2 + i] as number);
    // X.690 10.1: DER uses the short form below 128 and the fewest length octets.
    if (length < 0x80 || buf[offset + 2] === 0) throw new DerError(`${what}: non-minimal length encoding`);
    header = 2 + n;
  }
  const end = offset + header + length;
  if (end > buf.length) throw new DerError(`${what}: content runs past the end (needs ${length} octets, ${buf.length - offset - header} left)`);
  return { tag, offset, end, content: buf.subarray(offset + header, end), raw: buf.subarray(offset, end) };
}

/** Reads exactly one element spanning all of `buf` (no trailing bytes). */
export function readSingle(buf: Buffer, what = 'DER input'): Tlv {
  const el = readTlv(buf, 0, what);
  if (el.end !== buf.length) throw new DerError(`${what}: ${buf.length - el.end} trailing bytes after the element`);
  return el;
}

/** The elements inside a constructed value (SEQUENCE, SET, explicit tag). */
export function readChildren(parent: Tlv, what = 'DER element'): Tlv[] {
  if ((parent.tag & 0x20) === 0) throw new DerError(`${what}: expected a constructed element, got tag 0x${parent.tag.toString(16)}`);
  const out: Tlv[] = [];
  for (let offset = 0; offset < parent.content.length; ) {
    const el = readTlv(parent.content, offset, what);
    out.push(el);
    offset = el.end;
  }
  return out;
}

/** Asserts the tag of an element (possibly missing) and returns it. */
export function expectTag(el: Tlv | undefined, tag: number, what: string): Tlv {
  if (!el) throw new DerError(`${what}: missing`);
  if (el.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${el.tag.toString(16)}`);
  return el;
}

/** X.690 8.19: dotted form of an OBJECT IDENTIFIER. */
export function decodeOid(el: Tlv, what = 'OBJECT IDENTIFIER'): string {
  expectTag(el, 0x06, what);
  const c = el.content;
  if (c.length === 0) throw new DerError(`${what}: empty`);
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < c.length; i++) {
    const b = c[i] as number;
    // X.690 8.19.2: subidentifiers are minimal, so no leading 0x80 octet.
    if (value === 0 && b === 0x80) throw new DerError(`${what}: non-minimal subidentifier`);
    value = value * 128 + (b & 0x7f);
    if (!Number.isSafeInteger(value)) throw new DerError(`${what}: subidentifier too large`);
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else arcs.push(value);
      value = 0;
    } else if (i === c.length - 1) {
      throw new DerError(`${what}: truncated subidentifier`);
    }
  }
  return arcs.join('.');
}

/** X.690 8.3: INTEGER content, checked for DER minimality; returned as the content slice (two's complement). */
export function integerContent(el: Tlv, what = 'INTEGER'): Buffer {
  expectTag(el, 0x02, what);
  const c = el.content;
  if (c.length === 0) throw new DerError(`${what}: empty`);
  if (c.length > 1 && ((c[0] === 0x00 && ((c[1] as number) & 0x80) === 0) || (c[0] === 0xff && ((c[1] as number) & 0x80) !== 0))) {
    throw new DerError(`${what}: non-minimal encoding`);
  }
  return c;
}

/** A small non-negative INTEGER (version numbers, pathLenConstraint, cRLNumber). */
export function decodeSmallInteger(el: Tlv, what = 'INTEGER'): number {
  const c = integerContent(el, what);
  if (((c[0] as number) & 0x80) !== 0) throw new DerError(`${what}: negative`);
  if (c.length > 6) throw new DerError(`${what}: too large`);
  return c.readUIntBE(0, c.length);
}

/** BOOLEAN; X.690 11.1: DER TRUE is 0xFF. */
export function decodeBoolean(el: Tlv, what = 'BOOLEAN'): boolean {
  expectTag(el, 0x01, what);
  if (el.content.length !== 1 || (el.content[0] !== 0 && el.content[0] !== 0xff)) throw new DerError(`${what}: not a DER BOOLEAN`);
  return el.content[0] === 0xff;
}

/** BIT STRING value octets and the unused bit count (X.690 8.6.2). */
export function decodeBitString(el: Tlv, what = 'BIT STRING'): { bytes: Buffer; unusedBits: number } {
  expectTag(el, 0x03, what);
  const unusedBits = el.content[0];
  if (unusedBits === undefined || unusedBits > 7 || (el.content.length === 1 && unusedBits !== 0)) throw new DerError(`${what}: bad unused bit count`);
  return { bytes: el.content.subarray(1), unusedBits };
}

/** The string types found in names: UTF8String, PrintableString, IA5String, TeletexString (as Latin-1), BMPString. */
export function decodeString(el: Tlv, what = 'string'): string {
  switch (el.tag) {
    case 0x0c:
      return el.content.toString('utf8');
    case 0x13:
    case 0x16:
    case 0x14:
      return el.content.toString('latin1');
    case 0x1e:
      return Buffer.from(el.content).swap16().toString('utf16le');
    default:
      throw new DerError(`${what}: unsupported string tag 0x${el.tag.toString(16)}`);
  }
}

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

/** RFC 5280 4.1.2.5: UTCTime (YY < 50 is 20YY) or GeneralizedTime, Zulu with seconds; ms since the epoch. */
export function decodeTime(el: Tlv, what = 'Time'): number {
  const text = el.content.toString('latin1');
  const m = el.tag === 0x17 ? UTC_TIME.exec(text) : el.tag === 0x18 ? GENERALIZED_TIME.exec(text) : null;
  if (!m) throw new DerError(`${what}: not an RFC 5280 UTCTime/GeneralizedTime (tag 0x${el.tag.toString(16)}, "${text}")`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const year = el.tag === 0x17 ? (y < 50 ? 2000 + y : 1900 + y) : y;
  const date = new Date(0);
  date.setUTCFullYear(year, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) throw new DerError(`${what}: invalid date "${text}"`);
  return date.getTime();
}
